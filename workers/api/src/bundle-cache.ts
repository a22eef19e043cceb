import type { Context } from "hono";
import { type AppEnv, type Env, publicOrigin } from "./env";
import { DEFAULT_HOT_OBJECT_LIMITS, HotObjectCache } from "./hot-objects";

let isolateCache: HotObjectCache | undefined;

/** Isolate-wide copies of hot immutable bundle files, in front of the edge cache. */
export function hotObjects(env: Env): HotObjectCache {
  if (!isolateCache) {
    const configured = Number(env.HOT_CACHE_MAX_BYTES);
    const maxTotalBytes =
      Number.isInteger(configured) && configured >= 0 ? configured : DEFAULT_HOT_OBJECT_LIMITS.maxTotalBytes;
    isolateCache = new HotObjectCache({
      ...DEFAULT_HOT_OBJECT_LIMITS,
      maxTotalBytes,
      maxObjectBytes: Math.min(DEFAULT_HOT_OBJECT_LIMITS.maxObjectBytes, maxTotalBytes),
    });
  }
  return isolateCache;
}

/**
 * The edge cache key of a public bundle path: its URL on the public origin, the same for
 * the download that fills the cache and the admin request that purges it.
 */
export function edgeCacheKey(c: Context<AppEnv>, path: string): string {
  return `${publicOrigin(c)}${path}`;
}

/**
 * Drops bundle files from this isolate's memory and this data center's edge cache. Other
 * isolates let their copies expire (see HotObjectCache's ttl); other data centers need a
 * zone purge, which the Cache API cannot do.
 */
export function purgeBundlePaths(c: Context<AppEnv>, paths: readonly string[]): void {
  for (const path of paths) {
    const [, , , pluginId, versionSegment, ...file] = path.split("/");
    if (pluginId && versionSegment) {
      hotObjects(c.env).delete(`${pluginId}/${versionSegment.slice(1)}/${file.map(decodeURIComponent).join("/")}`);
    }
  }
  c.executionCtx.waitUntil(Promise.all(paths.map((path) => caches.default.delete(edgeCacheKey(c, path)))));
}
