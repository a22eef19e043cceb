import {
  BUNDLE_ENTRY_HEADER,
  blockedMarkerKey,
  bundleFilePathSchema,
  bundleObjectKey,
  pluginIdSchema,
  versionSchema,
} from "@plugins/schema";
import { RegistryError } from "../lib/errors";

/**
 * Serves a stored file straight from R2. The key comes from the URL, so this path never
 * touches Postgres. Only the API worker calls it, over the service binding; it adds the
 * public caching headers, and answers conditional and range requests from the full object.
 * A file that is not there throws NOT_FOUND, one of a blocked version GONE.
 */
export async function serveBundleFile(
  bucket: R2Bucket,
  method: string,
  { pluginId, version, path }: { pluginId: string; version: string; path: string },
): Promise<Response> {
  const key = parseKey(pluginId, version, path);
  if (!key) throw noSuchFile();
  const object = await bucket.get(key);
  if (!object) {
    const blocked = await bucket.head(blockedMarkerKey(pluginId, version));
    throw blocked ? new RegistryError("GONE", `${pluginId}@${version} was blocked`) : noSuchFile();
  }
  const headers = new Headers();
  object.writeHttpMetadata(headers);
  headers.set("etag", object.httpEtag);
  headers.set("content-length", String(object.size));
  if (object.customMetadata?.entry === "true") headers.set(BUNDLE_ENTRY_HEADER, "1");
  return new Response(method === "HEAD" ? null : object.body, { headers });
}

function noSuchFile(): RegistryError {
  return new RegistryError("NOT_FOUND", "No such bundle file");
}

function parseKey(pluginId: string, version: string, path: string): string | null {
  const id = pluginIdSchema.safeParse(pluginId);
  const exact = versionSchema.safeParse(version);
  const file = bundleFilePathSchema.safeParse(path);
  if (!id.success || !exact.success || !file.success || exact.data !== version) return null;
  return bundleObjectKey(id.data, exact.data, file.data);
}
