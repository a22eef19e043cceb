/**
 * Server-side plugins as the bench publishes and installs them: a zip of plugin.json, a
 * browser entry and the server module, uploaded through the API like a publisher's CI would.
 */

import { Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from "@zip.js/zip.js";

async function zipOf(files: Record<string, string>): Promise<Uint8Array<ArrayBuffer>> {
  const writer = new ZipWriter(new Uint8ArrayWriter(), { useWebWorkers: false });
  for (const [path, text] of Object.entries(files)) {
    await writer.add(path, new Uint8ArrayReader(new TextEncoder().encode(text)));
  }
  return (await writer.close()).slice();
}

/** Publishes `id@1.0.0`, a source plugin whose server module is `server`. */
export async function publishServerPlugin(origin: string, token: string, id: string, server: string) {
  const manifest = { id, name: id, version: "1.0.0", category: "bench", kind: "source", server: "server.js" };
  const archive = await zipOf({
    "plugin.json": JSON.stringify(manifest),
    "index.js": "export default function activate() {}\n",
    "server.js": server,
  });
  const form = new FormData();
  form.set("file", new File([archive], `${id}.zip`));
  const response = await fetch(`${origin}/api/plugins/upload`, {
    method: "POST",
    body: form,
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 201) throw new Error(`publishing ${id} failed: ${response.status} ${await response.text()}`);
}

/** Installs `pluginId` for `tenant` as `instanceId`, active. */
export async function installActive(
  origin: string,
  token: string,
  tenant: string,
  pluginId: string,
  instanceId: string,
) {
  const response = await fetch(`${origin}/api/plugins/install`, {
    method: "POST",
    body: JSON.stringify({ pluginId, instanceId, activate: true }),
    headers: { authorization: `Bearer ${token}`, "x-tenant-id": tenant, "content-type": "application/json" },
  });
  if (response.status !== 201) {
    throw new Error(`installing ${pluginId} as ${instanceId} failed: ${response.status} ${await response.text()}`);
  }
}

/** How long one request takes to answer, body read, in milliseconds; it must answer 200. */
export async function timedGet(url: string, headers: Record<string, string> = {}): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { headers });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
  return performance.now() - started;
}
