import { sha256Hex } from "@plugins/runtime";
import { bundleObjectKey } from "@plugins/schema";
import type { RunningInstance } from "./running-instances";

/** Why an instance's server module cannot run: its bytes are missing or not what was published. */
export class ServerModuleUnavailable extends Error {}

/** Most characters of module text this isolate keeps, and the largest module it keeps at all. */
const MAX_HELD_CHARS = 8 * 1024 * 1024;
const MAX_HELD_MODULE_CHARS = 1024 * 1024;

/**
 * Module texts this isolate of the plugins worker read and checked, by plugin, version and
 * sha256, the least recently used first. A version's code never changes once published (a
 * block is refused before any load), so a new instance of a version already running here,
 * the usual case for a popular plugin, starts its isolate without the bucket. Instances share
 * the text only: each still gets an isolate of its own.
 */
const held = new Map<string, string>();
let heldChars = 0;

function hold(key: string, source: string): void {
  if (source.length > MAX_HELD_MODULE_CHARS) return;
  held.set(key, source);
  heldChars += source.length;
  for (const [oldest, text] of held) {
    if (heldChars <= MAX_HELD_CHARS) break;
    held.delete(oldest);
    heldChars -= text.length;
  }
}

/** The server module's text, checked against the sha256 recorded at publish. */
export async function readServerModule(bucket: R2Bucket, instance: RunningInstance): Promise<string> {
  const { pluginId, version, server } = instance;
  const key = `${pluginId}@${version}#${server.sha256}`;
  const kept = held.get(key);
  if (kept !== undefined) {
    held.delete(key);
    held.set(key, kept);
    return kept;
  }
  const object = await bucket.get(bundleObjectKey(pluginId, version, server.path));
  if (!object) throw new ServerModuleUnavailable(`the server module ${server.path} is missing from the bucket`);
  const bytes = new Uint8Array(await object.arrayBuffer());
  if ((await sha256Hex(bytes)) !== server.sha256) {
    throw new ServerModuleUnavailable(`the server module ${server.path} does not match its published digest`);
  }
  const source = new TextDecoder().decode(bytes);
  hold(key, source);
  return source;
}
