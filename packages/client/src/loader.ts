/**
 * Loads a tenant's plugins into a page: `loadTenantPlugins({ manifestUrl, token, host, keys })`.
 *
 * For each active instance of the tenant manifest, in parallel:
 * 1. its signature is checked against the key set (the registry's `GET /api/keys`), over the
 *    statement of its plugin id, version, entry SRI and files digest: a version the registry
 *    did not sign, or signed by a key that is unknown or expired, is refused;
 * 2. its entry file is fetched and its bytes checked against the entry's SRI with WebCrypto,
 *    so a file changed after publish is refused, reported as such, before any of it runs;
 * 3. it is imported by its URL under the manifest's import map, whose `integrity` the page
 *    installs first: the browser itself then checks the entry again as it loads it (nothing
 *    can swap the bytes between our check and the import) and every code-split chunk the entry
 *    imports, which a check of the entry alone would miss. Importing a Blob URL of the checked
 *    bytes instead would close the first gap but break the entry's relative imports, which
 *    resolve against its URL;
 * 4. its activation is called with the host's API: the module's default export when it is a
 *    function (`export default function activate(host) {…}`, the README's convention), else an
 *    `activate` function, named or on the default export. It is handed `(host, plugin)`,
 *    `plugin` being its manifest entry (instance id, version, public config…); it may be async.
 *
 * Every instance gets a report: `loaded`, `refused` (with the reason) or `failed` (the error).
 * One that is refused, fails to load or throws never stops the others. Instances the manifest
 * withholds (a blocked version) are reported refused, `withheld`.
 *
 * The page needs import maps with `integrity` (Chromium 127, Safari 18, Firefox 138) and, under
 * a Content Security Policy, leave to add an inline import map (`nonce`).
 */
import {
  type KeySet,
  type ManifestPlugin,
  type SignatureProblem,
  type TenantManifest,
  verifyVersionSignature,
} from "@plugins/schema";
import { authorization, type TokenSource } from "./bearer-token";

export type { KeySet, ManifestPlugin, SignatureProblem, TenantManifest, TokenSource };

export interface LoadTenantPluginsOptions<Host> {
  /** The tenant manifest, `https://plugins.example.com/api/tenants/<tenant>/plugins/manifest`. */
  manifestUrl: string | URL;
  /** A member of the tenant's token (the manifest is tenant data). */
  token: TokenSource;
  /** What each plugin's activation is handed. */
  host: Host;
  /** The registry's key set, or its URL (`https://plugins.example.com/api/keys`). */
  keys: KeySet | string | URL;
  /** A nonce the page's Content Security Policy allows for the import map's inline script. */
  nonce?: string;
}

/** Why an instance was not loaded although the manifest lists it. */
export type RefusalReason = SignatureProblem["reason"] | "integrity" | "withheld";

export type PluginLoadReport = { instanceId: string; pluginId: string; version: string } & (
  | { status: "loaded" }
  | { status: "refused"; reason: RefusalReason; message: string }
  | { status: "failed"; error: string }
);

/** A plugin's browser entry: what its activation may export. */
export type Activation<Host> = (host: Host, plugin: ManifestPlugin) => unknown;

/**
 * Loads every active plugin of the manifest at `manifestUrl` that verifies, and activates it
 * with `host`. Rejects only when the manifest or the key set cannot be read; each plugin's
 * own outcome is in its report, in manifest order.
 */
export async function loadTenantPlugins<Host>(options: LoadTenantPluginsOptions<Host>): Promise<PluginLoadReport[]> {
  const [manifest, keys] = await Promise.all([
    readManifest(options.manifestUrl, options.token),
    readKeySet(options.keys),
  ]);
  installImportMap(manifest, options.nonce);
  const loaded = await Promise.all(manifest.plugins.map((entry) => loadPlugin(entry, keys, options.host)));
  const withheld = manifest.withheld.map(
    (entry): PluginLoadReport => ({
      instanceId: entry.instanceId,
      pluginId: entry.pluginId,
      version: entry.version,
      status: "refused",
      reason: "withheld",
      message: entry.reason,
    }),
  );
  return [...loaded, ...withheld];
}

async function loadPlugin<Host>(entry: ManifestPlugin, keys: KeySet, host: Host): Promise<PluginLoadReport> {
  const about = { instanceId: entry.instanceId, pluginId: entry.pluginId, version: entry.version };
  try {
    const signature = entry.signature ?? null;
    const stated = {
      plugin: entry.pluginId,
      version: entry.version,
      entry: entry.integrity,
      files: signature?.files ?? "",
    };
    const problem = await verifyVersionSignature(stated, signature, keys);
    if (problem) return { ...about, status: "refused", reason: problem.reason, message: problem.message };

    const response = await fetch(entry.url, { credentials: "omit" });
    if (!response.ok) throw new Error(`${entry.url} answered ${response.status}`);
    if (!(await matchesIntegrity(new Uint8Array(await response.arrayBuffer()), entry.integrity))) {
      const message = `${entry.url} does not match its integrity ${entry.integrity}: it changed after it was published`;
      return { ...about, status: "refused", reason: "integrity", message };
    }

    const module: unknown = await import(/* @vite-ignore */ entry.url);
    const activate = activationOf<Host>(module);
    if (!activate) throw new Error(`${entry.url} exports no activation (a default function, or activate)`);
    await activate(host, entry);
    return { ...about, status: "loaded" };
  } catch (error) {
    return { ...about, status: "failed", error: error instanceof Error ? error.message : String(error) };
  }
}

function activationOf<Host>(module: unknown): Activation<Host> | null {
  if (typeof module !== "object" || module === null) return null;
  const { default: fallback, activate } = module as { default?: unknown; activate?: unknown };
  if (typeof fallback === "function") return fallback as Activation<Host>;
  if (typeof activate === "function") return activate as Activation<Host>;
  const nested =
    typeof fallback === "object" && fallback !== null ? (fallback as { activate?: unknown }).activate : null;
  return typeof nested === "function" ? (nested as Activation<Host>) : null;
}

const DIGESTS = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" } as const;

/**
 * Whether `bytes` match an SRI `integrity`: as browsers read it, only the strongest algorithm
 * listed counts, and any of its digests may match. Unknown algorithms are ignored.
 */
async function matchesIntegrity(bytes: Uint8Array<ArrayBuffer>, integrity: string): Promise<boolean> {
  const listed = integrity
    .split(/\s+/)
    .map((token) => /^(sha256|sha384|sha512)-([A-Za-z0-9+/=]+)/.exec(token))
    .filter((match) => match !== null)
    .map(([, algorithm, digest]) => ({ algorithm: algorithm as keyof typeof DIGESTS, digest }));
  const strongest = (["sha512", "sha384", "sha256"] as const).find((algorithm) =>
    listed.some((item) => item.algorithm === algorithm),
  );
  if (!strongest) return false;
  const actual = base64(new Uint8Array(await crypto.subtle.digest(DIGESTS[strongest], bytes)));
  return listed.some((item) => item.algorithm === strongest && item.digest === actual);
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Adds the manifest's import map (its specifiers and the SRI of every JavaScript file) to the page. */
function installImportMap(manifest: TenantManifest, nonce: string | undefined): void {
  const script = document.createElement("script");
  script.type = "importmap";
  if (nonce) script.nonce = nonce;
  script.textContent = JSON.stringify(manifest.importMap);
  document.head.append(script);
}

async function readManifest(url: string | URL, token: TokenSource): Promise<TenantManifest> {
  const response = await fetch(url, { headers: await authorization(token) });
  if (!response.ok) throw new Error(`tenant manifest: ${await refusalOf(response)}`);
  return (await response.json()) as TenantManifest;
}

async function readKeySet(keys: KeySet | string | URL): Promise<KeySet> {
  if (typeof keys !== "string" && !(keys instanceof URL)) return keys;
  const response = await fetch(keys);
  if (!response.ok) throw new Error(`key set: ${await refusalOf(response)}`);
  const keySet = (await response.json()) as KeySet;
  if (!Array.isArray(keySet?.keys)) throw new Error(`key set: ${String(keys)} holds no "keys" list`);
  return keySet;
}

/** The server's refusal in one line: status, message and request id from its error envelope. */
async function refusalOf(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as { error: { message: string; requestId: string } };
    return `${response.status} ${error.message} (request ${error.requestId})`;
  } catch {
    return `${response.status} ${text.slice(0, 200)}`;
  }
}
