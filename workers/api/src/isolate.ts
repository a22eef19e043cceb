import { createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import { BundleBudget } from "./cdn/bundle-budget";
import { DownloadCounter } from "./cdn/download-counter";
import { DEFAULT_HOT_OBJECT_LIMITS, HotObjectCache } from "./cdn/hot-objects";
import type { Env } from "./env";

/**
 * What lives as long as the isolate rather than the request: the state its requests share,
 * which would be worthless rebuilt per request.
 */
export interface Isolate {
  /** Hot immutable bundle files, in front of the edge cache. */
  readonly hotObjects: HotObjectCache;
  /** Entry-file downloads waiting for their batch. */
  readonly downloads: DownloadCounter;
  /** Bundle downloads not yet reported to BUNDLE_LIMITER, and the clients found over it. */
  readonly bundleBudget: BundleBudget;
  /** CORS_ORIGINS: the browser origins allowed to call /api and /trpc. */
  readonly corsOrigins: ReadonlySet<string>;
  /** JWKS_URL's key set (jose fetches and caches the keys), or null without JWKS_URL. */
  readonly keySet: () => JWTVerifyGetKey | null;
}

let current: Isolate | undefined;

/**
 * The one isolate-wide instance, built from the first request's `env`: a Worker's bindings
 * and vars are the same for every request an isolate serves.
 */
export function isolateOf(env: Env): Isolate {
  current ??= buildIsolate(env);
  return current;
}

export function buildIsolate(env: Env): Isolate {
  return {
    hotObjects: new HotObjectCache(hotObjectLimits(env.HOT_CACHE_MAX_BYTES)),
    downloads: new DownloadCounter(),
    bundleBudget: new BundleBudget(),
    corsOrigins: new Set(
      (env.CORS_ORIGINS ?? "")
        .split(",")
        .map((origin) => origin.trim())
        .filter(Boolean),
    ),
    keySet: remoteKeySet(env.JWKS_URL),
  };
}

/** HOT_CACHE_MAX_BYTES: a whole number of bytes, 0 turning the cache off; anything else keeps the default. */
function hotObjectLimits(configured: string | undefined) {
  const bytes = Number(configured);
  const maxTotalBytes = Number.isInteger(bytes) && bytes >= 0 ? bytes : DEFAULT_HOT_OBJECT_LIMITS.maxTotalBytes;
  return {
    ...DEFAULT_HOT_OBJECT_LIMITS,
    maxTotalBytes,
    maxObjectBytes: Math.min(DEFAULT_HOT_OBJECT_LIMITS.maxObjectBytes, maxTotalBytes),
  };
}

/**
 * Created on first use, so that keys are fetched once per isolate rather than per request,
 * and a malformed JWKS_URL fails the requests that verify a token, not every request.
 */
function remoteKeySet(url: string | undefined): () => JWTVerifyGetKey | null {
  let keySet: JWTVerifyGetKey | undefined;
  return () => {
    if (!url) return null;
    keySet ??= createRemoteJWKSet(new URL(url), { cacheMaxAge: 10 * 60 * 1000 });
    return keySet;
  };
}
