import { type BundleFile, bundleObjectKey, bundleUrlPath, parseBundleUrl } from "@plugins/schema";
import type { Context } from "hono";
import { type AppEnv, publicOrigin } from "../env";
import { isolateOf } from "../isolate";

/** A file's key in this isolate's memory: its R2 key, which the hot path reads off the URL. */
export function hotObjectKey(file: BundleFile): string {
  return bundleObjectKey(file.pluginId, file.version, file.path);
}

/**
 * The edge cache key of a bundle file: its canonical URL on the public origin, the same for
 * the download that fills the cache and the admin request that purges it.
 */
export function edgeCacheKey(c: Context<AppEnv>, file: BundleFile): string {
  return `${publicOrigin(c)}${bundleUrlPath(file.pluginId, file.version, file.path)}`;
}

/**
 * Drops bundle files, named by their public paths, from this isolate's memory and this data
 * center's edge cache. Other isolates let their copies expire (see HotObjectCache's ttl);
 * other data centers need a zone purge, which the Cache API cannot do.
 */
export function purgeBundlePaths(c: Context<AppEnv>, paths: readonly string[]): void {
  const files = paths.map((path) => parseBundleUrl(path)).filter((file) => file !== null);
  const memory = isolateOf(c.env).hotObjects;
  for (const file of files) memory.delete(hotObjectKey(file));
  c.executionCtx.waitUntil(Promise.all(files.map((file) => caches.default.delete(edgeCacheKey(c, file)))));
}
