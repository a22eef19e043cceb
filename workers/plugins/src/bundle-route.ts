import { bundleFilePathSchema, bundleObjectKey, pluginIdSchema, versionSchema } from "@plugins/schema";
import type { Context as HonoContext } from "hono";
import type { Env } from "./env";

/**
 * Serves a stored file straight from R2. The key comes from the URL, so this path never
 * touches Postgres. Only the API worker calls it (over the service binding), and it adds
 * the public caching headers; this answer carries what R2 knows about the object.
 */
export async function serveBundleFile(
  c: HonoContext<{ Bindings: Env }>,
  pluginId: string,
  version: string,
  path: string,
) {
  const key = parseKey(pluginId, version, path);
  if (!key) return c.json({ error: { code: "NOT_FOUND", message: "No such bundle file" } }, 404);
  const object = await c.env.BUNDLES.get(key);
  if (!object) return c.json({ error: { code: "NOT_FOUND", message: "No such bundle file" } }, 404);
  const headers = new Headers();
  object.writeHttpMetadata(headers);
  headers.set("etag", object.httpEtag);
  headers.set("content-length", String(object.size));
  return new Response(c.req.method === "HEAD" ? null : object.body, { headers });
}

function parseKey(pluginId: string, version: string, path: string): string | null {
  const id = pluginIdSchema.safeParse(pluginId);
  const exact = versionSchema.safeParse(version);
  const file = bundleFilePathSchema.safeParse(path);
  if (!id.success || !exact.success || !file.success || exact.data !== version) return null;
  return bundleObjectKey(id.data, exact.data, file.data);
}
