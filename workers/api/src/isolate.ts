import { createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import { BundleBudget } from "./cdn/bundle-budget";
import { DownloadCounter } from "./cdn/download-counter";
import { DEFAULT_HOT_OBJECT_LIMITS, HotObjectCache } from "./cdn/hot-objects";
import { readConfig } from "./config";
import { VerifiedTokens } from "./verified-tokens";

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
  /** Bearer tokens verified lately, so a client's next call skips the signature check. */
  readonly verifiedTokens: VerifiedTokens;
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
  const config = readConfig(env);
  return {
    hotObjects: new HotObjectCache(hotObjectLimits(config.hotCacheMaxBytes)),
    downloads: new DownloadCounter(),
    bundleBudget: new BundleBudget(),
    corsOrigins: new Set(config.corsOrigins),
    keySet: remoteKeySet(config.jwksUrl),
    verifiedTokens: new VerifiedTokens(),
  };
}

/** HOT_CACHE_MAX_BYTES in all, 0 turning the cache off; no one file may take more than that. */
function hotObjectLimits(maxTotalBytes: number) {
  return {
    ...DEFAULT_HOT_OBJECT_LIMITS,
    maxTotalBytes,
    maxObjectBytes: Math.min(DEFAULT_HOT_OBJECT_LIMITS.maxObjectBytes, maxTotalBytes),
  };
}

/**
 * Created on first use, so that keys are fetched once per isolate rather than per request,
 * and only by an isolate that verifies a token.
 */
function remoteKeySet(url: string | undefined): () => JWTVerifyGetKey | null {
  let keySet: JWTVerifyGetKey | undefined;
  return () => {
    if (!url) return null;
    keySet ??= createRemoteJWKSet(new URL(url), { cacheMaxAge: 10 * 60 * 1000 });
    return keySet;
  };
}
