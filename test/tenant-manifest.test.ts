/**
 * The tenant manifest: what a tenant's frontend fetches at boot (`GET /api/tenants/:tenant/plugins/manifest`
 * and `…/importmap`, tRPC `manifests.get`). Its active instances with absolute immutable bundle URLs,
 * SRI integrity, extension points and public config, plus the same as an import map; a strong ETag
 * with conditional GETs; regenerated inside every write, so the next read after a successful write
 * already shows it; tenant isolation; and served from the stored copy.
 */
import type { TenantManifest } from "@plugins/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bytes, pluginFolder, publishFields, tarGz } from "./archive-fixtures";
import { mintCast } from "./cast";
import { expectError, expectTrpcError, install, pluginMetadata, present, sriSha384, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";
import { publishFollowed } from "./update-passes";

let stack: Stack;
let admin: string;
/** The publisher of every plugin here (an acme editor). */
let alice: string;
const memberTokens = new Map<string, string>();

/** A token of `role` in `tenant`, minted once. */
async function member(role: "editor" | "viewer", tenant: string): Promise<string> {
  const key = `${role}@${tenant}`;
  const known = memberTokens.get(key);
  if (known) return known;
  const token = await stack.token({ sub: `${role}-of-${tenant}`, role, tenant });
  memberTokens.set(key, token);
  return token;
}

const EXTENSION_POINTS = ["dashboard-widgets", { name: "sidebar", contract: "^1.0.0" }];
const EXTENSION_POINT_NAMES = ["dashboard-widgets", "sidebar"];
/** A public field with a default, and a secret (writeOnly) one. */
const CONFIG_SCHEMA = {
  type: "object",
  properties: {
    title: { type: "string", default: "Hello" },
    apiKey: { type: "string", writeOnly: true },
  },
  additionalProperties: false,
};
const SECRET = "sk_live_never-in-a-manifest-7f3a9c";

/** The single-file bundle of a plugin version: distinct bytes per version. */
function source(pluginId: string, version: string): string {
  return `export default function activate(host) {\n  host.mount(${JSON.stringify(`${pluginId}@${version}`)});\n}\n`;
}

/** Publishes as alice, then waits for the pass that moves the plugin's followers. */
async function publishWidget(pluginId: string, version: string, withConfig = true) {
  return publishFollowed(
    stack,
    alice,
    pluginMetadata({
      id: pluginId,
      version,
      extensionPoints: EXTENSION_POINTS,
      ...(withConfig ? { config: CONFIG_SCHEMA } : {}),
    }),
    source(pluginId, version),
  );
}

function bundleUrl(pluginId: string, version: string, path = "bundle.js"): string {
  return `${stack.url}/plugins/bundles/${pluginId}/v${version}/${path}`;
}

/** What the manifest lists for an active single-file widget instance. */
/** A signature by the stacks' development key (signatures.test.ts checks that it verifies). */
const devSignature = () => ({
  keyid: "dev-2026",
  statementVersion: 1,
  files: expect.stringMatching(/^sha384-/),
  sig: expect.any(String),
  signedAt: expect.any(String),
});

function widgetEntry(
  instanceId: string,
  pluginId: string,
  version: string,
  config: Record<string, unknown>,
  deprecated: { message: string; replacement: string | null } | null = null,
) {
  return {
    instanceId,
    pluginId,
    version,
    url: bundleUrl(pluginId, version),
    integrity: sriSha384(source(pluginId, version)),
    extensionPoints: EXTENSION_POINT_NAMES,
    config,
    deprecated,
    signature: devSignature(),
  };
}

function manifestUrl(tenant: string, route: "manifest" | "importmap" = "manifest"): string {
  return `${stack.url}/api/tenants/${tenant}/plugins/${route}`;
}

function getManifest(
  tenant: string,
  token: string | null,
  headers: Record<string, string> = {},
  route: "manifest" | "importmap" = "manifest",
): Promise<Response> {
  return fetch(manifestUrl(tenant, route), {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
}

/** GET the manifest, insisting on 200: its body and ETag. */
async function manifestOf(tenant: string, token?: string): Promise<{ etag: string; manifest: TenantManifest }> {
  const response = await getManifest(tenant, token ?? (await member("viewer", tenant)));
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  return { etag: present(response.headers.get("etag"), "etag"), manifest: JSON.parse(text) as TenantManifest };
}

function instanceIds(manifest: TenantManifest): string[] {
  return manifest.plugins.map((plugin) => plugin.instanceId);
}

function pluginNamed(manifest: TenantManifest, instanceId: string) {
  return present(
    manifest.plugins.find((plugin) => plugin.instanceId === instanceId),
    `instance ${instanceId}`,
  );
}

/**
 * The import map agrees with the plugin list: two specifiers per instance (the entry URL and
 * the version folder), nothing else, and the entry's integrity among the integrity entries.
 */
function expectImportMapMatches(manifest: TenantManifest) {
  const expected: Record<string, string> = {};
  for (const plugin of manifest.plugins) {
    expected[`@plugins/${plugin.instanceId}`] = plugin.url;
    expected[`@plugins/${plugin.instanceId}/`] = `${stack.url}/plugins/bundles/${plugin.pluginId}/v${plugin.version}/`;
    expect(manifest.importMap.integrity[plugin.url], plugin.instanceId).toBe(plugin.integrity);
  }
  expect(manifest.importMap.imports).toEqual(expected);
  const served = new Set(
    manifest.plugins.map((plugin) => `${stack.url}/plugins/bundles/${plugin.pluginId}/v${plugin.version}/`),
  );
  for (const url of Object.keys(manifest.importMap.integrity)) {
    expect(
      [...served].some((folder) => url.startsWith(folder)),
      url,
    ).toBe(true);
  }
}

/** The instance ids the database holds as active for the tenant, in the manifest's order. */
async function activeInDatabase(tenant: string): Promise<string[]> {
  const { rows } = await stack.db.query<{ instance_id: string }>(
    "select instance_id from installations where tenant_id = $1 and status = 'active' order by instance_id",
    [tenant],
  );
  return rows.map((row) => row.instance_id);
}

async function fetchBytes(url: string): Promise<Buffer> {
  const response = await fetch(url, { headers: { "accept-encoding": "identity" } });
  expect(response.status, url).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

function varyNames(response: Response): string[] {
  return (response.headers.get("vary") ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
}

const MULTI_FILES = pluginFolder({ id: "multi", version: "1.0.0", extensionPoints: ["dashboard-widgets"] });
function multiBytes(path: string): Bytes {
  return present(MULTI_FILES.find((file) => file.path === path)?.bytes, path);
}

beforeAll(async () => {
  stack = await startStack();
  ({ root: admin, alice } = await mintCast(stack));
  for (const version of ["1.0.0", "1.1.0", "2.0.0"]) await publishWidget("widget", version);
  for (const version of ["1.0.0", "1.1.0", "2.0.0"]) await publishWidget("fresh-widget", version);
  for (const version of ["1.0.0", "1.1.0"]) await publishWidget("doomed", version, false);
  await publishWidget("follower", "1.0.0", false);
  await publishWidget("rush", "1.0.0", false);
  await publishFields(stack, { token: alice, file: await tarGz(MULTI_FILES), fileName: "bundle.tar.gz" });
});
afterAll(() => stack?.stop());

describe("a tenant with nothing installed", () => {
  it("answers 200 with an empty manifest and a strong ETag", async () => {
    const response = await getManifest("empty-co", await member("editor", "empty-co"));
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(JSON.parse(text)).toEqual({
      tenantId: "empty-co",
      host: null,
      plugins: [],
      withheld: [],
      importMap: { imports: {}, integrity: {} },
    });
    expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    expect(response.headers.get("cache-control")).toBe("private, no-cache");
  });

  it("answers the import map route with an empty import map under the same ETag", async () => {
    const token = await member("viewer", "empty-co");
    const manifest = await getManifest("empty-co", token);
    const importMap = await getManifest("empty-co", token, {}, "importmap");
    expect(importMap.status).toBe(200);
    expect(importMap.headers.get("content-type")).toBe("application/importmap+json; charset=utf-8");
    expect(await importMap.json()).toEqual({ imports: {}, integrity: {} });
    expect(importMap.headers.get("etag")).toBe(manifest.headers.get("etag"));
    await manifest.arrayBuffer();
  });

  it("answers tRPC manifests.get with the same document and ETag", async () => {
    const { etag, manifest } = await manifestOf("empty-co");
    const answer = await trpc(stack, await member("viewer", "empty-co")).manifests.get.query({ tenantId: "empty-co" });
    expect(answer).toEqual({ etag, manifest });
  });
});

describe("what the manifest lists", () => {
  const tenant = "shop";
  let manifest: TenantManifest;
  let etag: string;

  beforeAll(async () => {
    const client = trpc(stack, await member("editor", tenant));
    await client.installations.install.mutate({
      tenantId: tenant,
      pluginId: "widget",
      instanceId: "main",
      version: "1.1.0",
      activate: true,
      config: { title: "Shop", apiKey: SECRET },
    });
    // Left at `installed`.
    await client.installations.install.mutate({ tenantId: tenant, pluginId: "widget", instanceId: "staged" });
    // Active, then stopped.
    await client.installations.install.mutate({
      tenantId: tenant,
      pluginId: "widget",
      instanceId: "paused",
      activate: true,
    });
    await client.installations.deactivate.mutate({ tenantId: tenant, instanceId: "paused" });
    // Active, stopped, then uninstalled.
    await client.installations.install.mutate({
      tenantId: tenant,
      pluginId: "widget",
      instanceId: "gone",
      version: "1.0.0",
      activate: true,
      config: { apiKey: SECRET },
    });
    await client.installations.deactivate.mutate({ tenantId: tenant, instanceId: "gone" });
    await client.installations.uninstall.mutate({ tenantId: tenant, instanceId: "gone" });
    // A version built into several files.
    await client.installations.install.mutate({ tenantId: tenant, pluginId: "multi", activate: true });
    ({ manifest, etag } = await manifestOf(tenant));
  });

  it("lists only the active instances, in instance order, with exactly the fields a frontend needs", () => {
    expect(manifest).toEqual({
      tenantId: tenant,
      host: null,
      plugins: [
        widgetEntry("main", "widget", "1.1.0", { title: "Shop" }),
        {
          instanceId: "multi",
          pluginId: "multi",
          version: "1.0.0",
          url: bundleUrl("multi", "1.0.0", "index.js"),
          integrity: sriSha384(multiBytes("index.js")),
          extensionPoints: ["dashboard-widgets"],
          config: {},
          deprecated: null,
          signature: devSignature(),
        },
      ],
      withheld: [],
      importMap: expect.any(Object),
    });
  });

  it("agrees with the instances the database holds as active", async () => {
    expect(instanceIds(manifest)).toEqual(await activeInDatabase(tenant));
    const { rows } = await stack.db.query<{ instance_id: string; status: string }>(
      "select instance_id, status from installations where tenant_id = $1 order by instance_id",
      [tenant],
    );
    expect(rows).toEqual([
      { instance_id: "gone", status: "uninstalled" },
      { instance_id: "main", status: "active" },
      { instance_id: "multi", status: "active" },
      { instance_id: "paused", status: "inactive" },
      { instance_id: "staged", status: "installed" },
    ]);
  });

  it("gives each entry an absolute immutable URL that serves bytes matching its integrity", async () => {
    for (const plugin of manifest.plugins) {
      expect(plugin.url.startsWith(`${stack.url}/plugins/bundles/`), plugin.url).toBe(true);
      const response = await fetch(plugin.url, { headers: { "accept-encoding": "identity" } });
      expect(response.status, plugin.url).toBe(200);
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(sriSha384(Buffer.from(await response.arrayBuffer())), plugin.url).toBe(plugin.integrity);
    }
  });

  it("maps @plugins/<instance> to the entry URL and @plugins/<instance>/ to the version folder", () => {
    expect(manifest.importMap.imports).toEqual({
      "@plugins/main": bundleUrl("widget", "1.1.0"),
      "@plugins/main/": `${stack.url}/plugins/bundles/widget/v1.1.0/`,
      "@plugins/multi": bundleUrl("multi", "1.0.0", "index.js"),
      "@plugins/multi/": `${stack.url}/plugins/bundles/multi/v1.0.0/`,
    });
    expectImportMapMatches(manifest);
  });

  it("lists the integrity of every JavaScript file of a served version, chunks included, by absolute URL", async () => {
    expect(manifest.importMap.integrity).toEqual({
      [bundleUrl("multi", "1.0.0", "chunks/a.js")]: sriSha384(multiBytes("chunks/a.js")),
      [bundleUrl("multi", "1.0.0", "index.js")]: sriSha384(multiBytes("index.js")),
      [bundleUrl("widget", "1.1.0")]: sriSha384(source("widget", "1.1.0")),
    });
    for (const [url, integrity] of Object.entries(manifest.importMap.integrity)) {
      expect(sriSha384(await fetchBytes(url)), url).toBe(integrity);
    }
    // The chunk the entry imports resolves, through the folder specifier, to a URL with an integrity entry.
    const chunk = new URL("chunks/a.js", manifest.importMap.imports["@plugins/multi/"]).href;
    expect(manifest.importMap.integrity[chunk]).toBe(sriSha384(multiBytes("chunks/a.js")));
  });

  it("answers the import map route with exactly manifest.importMap as application/importmap+json", async () => {
    const response = await getManifest(tenant, await member("viewer", tenant), {}, "importmap");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/importmap+json; charset=utf-8");
    expect(response.headers.get("etag")).toBe(etag);
    expect(await response.json()).toEqual(manifest.importMap);
  });

  it("never carries a secret field: only the public config, and no trace of the secret in either body", async () => {
    const token = await member("editor", tenant);
    for (const route of ["manifest", "importmap"] as const) {
      const text = await (await getManifest(tenant, token, {}, route)).text();
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain("apiKey");
      expect(text.toLowerCase()).not.toContain("sealed");
    }
    const answer = await trpc(stack, token).manifests.get.query({ tenantId: tenant });
    expect(JSON.stringify(answer)).not.toContain(SECRET);
    expect(pluginNamed(present(answer.manifest), "main").config).toEqual({ title: "Shop" });
    const { rows } = await stack.db.query<{ secrets_set: string[] }>(
      "select secrets_set from installations where tenant_id = $1 and instance_id = 'main'",
      [tenant],
    );
    expect(rows).toEqual([{ secrets_set: ["apiKey"] }]);
  });

  it("stores paths and makes them absolute only when serving", async () => {
    const { rows } = await stack.db.query<{ document: TenantManifest; etag: string }>(
      "select document, etag from tenant_manifests where tenant_id = $1",
      [tenant],
    );
    expect(rows).toHaveLength(1);
    const [stored] = rows;
    // The served tag covers the origin the paths are made absolute under, so it is not the stored one.
    expect(stored?.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(stored?.etag).not.toBe(etag);
    expect(stored?.document.plugins.map((plugin) => plugin.url)).toEqual([
      "/plugins/bundles/widget/v1.1.0/bundle.js",
      "/plugins/bundles/multi/v1.0.0/index.js",
    ]);
  });
});

describe("ETags and conditional GETs", () => {
  const tenant = "etag-co";
  let token: string;
  let etag: string;

  beforeAll(async () => {
    token = await member("viewer", tenant);
    await trpc(stack, await member("editor", tenant)).installations.install.mutate({
      tenantId: tenant,
      pluginId: "widget",
      instanceId: "tagged",
      activate: true,
      config: { title: "First" },
    });
    ({ etag } = await manifestOf(tenant, token));
  });

  it("gives the same manifest served under another public origin another ETag", async () => {
    // The gateway's public origin is the request's own when PUBLIC_BASE_URL is unset.
    const { port } = new URL(stack.url);
    const response = await fetch(`http://localhost:${port}/api/tenants/${tenant}/plugins/manifest`, {
      headers: { authorization: `Bearer ${token}`, "if-none-match": etag },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).not.toBe(etag);
    const body = (await response.json()) as TenantManifest;
    expect(body.plugins[0]?.url.startsWith(`http://localhost:${port}/`)).toBe(true);
  });

  it("answers repeated GETs with the same strong ETag and the same body", async () => {
    const first = await getManifest(tenant, token);
    const second = await getManifest(tenant, token);
    expect(first.headers.get("etag")).toBe(etag);
    expect(second.headers.get("etag")).toBe(etag);
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await second.text()).toBe(await first.text());
  });

  it.each(["manifest", "importmap"] as const)(
    "answers If-None-Match with the current ETag on the %s route with 304, no body, and the cache headers",
    async (route) => {
      const response = await getManifest(tenant, token, { "if-none-match": etag }, route);
      expect(response.status).toBe(304);
      expect(await response.text()).toBe("");
      expect(response.headers.get("etag")).toBe(etag);
      expect(response.headers.get("cache-control")).toBe("private, no-cache");
      expect(varyNames(response)).toContain("authorization");
    },
  );

  it.each([
    ["the weak form of the ETag", () => `W/${etag}`],
    ["a list holding the ETag", () => `"0123456789abcdef0123456789abcdef", ${etag}`],
    ["a list holding the weak form", () => `"0123456789abcdef0123456789abcdef", W/${etag}, "other"`],
  ])("treats %s as a match (304)", async (_, header) => {
    for (const route of ["manifest", "importmap"] as const) {
      const response = await getManifest(tenant, token, { "if-none-match": header() }, route);
      expect(response.status, route).toBe(304);
      expect(await response.text()).toBe("");
      expect(response.headers.get("etag")).toBe(etag);
    }
  });

  it("evaluates (or at worst ignores) a long If-None-Match list holding the current ETag, never refusing the GET", async () => {
    // 40 other tags and the current one: about 1.5 KB, a valid header a cache holding several variants may send.
    const others = Array.from({ length: 40 }, (_, index) => `"${String(index).padStart(32, "0")}"`);
    const header = [...others, etag].join(", ");
    expect(header.length).toBeGreaterThan(1024);
    for (const route of ["manifest", "importmap"] as const) {
      const response = await getManifest(tenant, token, { "if-none-match": header }, route);
      const text = await response.text();
      expect([200, 304], `${route}: ${response.status} ${text}`).toContain(response.status);
      expect(response.headers.get("etag")).toBe(etag);
    }
  });

  it("answers an ETag that is not the current one with 200 and the full body", async () => {
    const response = await getManifest(tenant, token, { "if-none-match": '"0123456789abcdef0123456789abcdef"' });
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe(etag);
    expect(((await response.json()) as TenantManifest).tenantId).toBe(tenant);
  });

  it("answers tRPC manifests.get with ifNoneMatch naming the current ETag with manifest null", async () => {
    const client = trpc(stack, token);
    expect(await client.manifests.get.query({ tenantId: tenant, ifNoneMatch: etag })).toEqual({ etag, manifest: null });
    expect(await client.manifests.get.query({ tenantId: tenant, ifNoneMatch: `W/${etag}` })).toEqual({
      etag,
      manifest: null,
    });
    const stale = await client.manifests.get.query({ tenantId: tenant, ifNoneMatch: '"stale"' });
    expect(stale.etag).toBe(etag);
    expect(stale.manifest?.tenantId).toBe(tenant);
  });

  it("changes the ETag after a write; the old one then gets 200 with the new body, the new one 304", async () => {
    await trpc(stack, await member("editor", tenant)).installations.configure.mutate({
      tenantId: tenant,
      instanceId: "tagged",
      config: { title: "Second" },
    });
    const response = await getManifest(tenant, token, { "if-none-match": etag });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    const next = present(response.headers.get("etag"));
    expect(next).not.toBe(etag);
    expect(next).toMatch(/^"[0-9a-f]{32}"$/);
    expect(pluginNamed(JSON.parse(text) as TenantManifest, "tagged").config).toEqual({ title: "Second" });
    for (const route of ["manifest", "importmap"] as const) {
      const stale = await getManifest(tenant, token, { "if-none-match": etag }, route);
      expect(stale.status, route).toBe(200);
      await stale.arrayBuffer();
      const current = await getManifest(tenant, token, { "if-none-match": next }, route);
      expect(current.status, route).toBe(304);
      await current.arrayBuffer();
    }
    etag = next;
  });
});

describe("fresh right after each write (no sleeps, no retries)", () => {
  const tenant = "fresh-co";
  let editor: ReturnType<typeof trpc>;
  let previousEtag = "";

  beforeAll(async () => {
    editor = trpc(stack, await member("editor", tenant));
    previousEtag = (await manifestOf(tenant)).etag;
  });

  /** The very next GET after a write: the write shows, the ETag moved, the import map agrees. */
  async function afterWrite(options: { etagChanges?: boolean } = {}): Promise<TenantManifest> {
    const { etag, manifest } = await manifestOf(tenant);
    if (options.etagChanges ?? true) expect(etag).not.toBe(previousEtag);
    else expect(etag).toBe(previousEtag);
    previousEtag = etag;
    expectImportMapMatches(manifest);
    // Every active instance is either served or withheld (its version blocked).
    const listed = [...instanceIds(manifest), ...manifest.withheld.map((entry) => entry.instanceId)].sort();
    expect(listed).toEqual(await activeInDatabase(tenant));
    return manifest;
  }

  it("install with activate: true", async () => {
    await editor.installations.install.mutate({
      tenantId: tenant,
      pluginId: "fresh-widget",
      instanceId: "w",
      version: "1.0.0",
      activate: true,
      config: { title: "One" },
    });
    expect((await afterWrite()).plugins).toEqual([widgetEntry("w", "fresh-widget", "1.0.0", { title: "One" })]);
  });

  it("deactivate", async () => {
    await editor.installations.deactivate.mutate({ tenantId: tenant, instanceId: "w" });
    const manifest = await afterWrite();
    expect(manifest.plugins).toEqual([]);
    expect(manifest.importMap).toEqual({ imports: {}, integrity: {} });
  });

  it("activate", async () => {
    await editor.installations.activate.mutate({ tenantId: tenant, instanceId: "w" });
    expect((await afterWrite()).plugins).toEqual([widgetEntry("w", "fresh-widget", "1.0.0", { title: "One" })]);
  });

  it("configure", async () => {
    await editor.installations.configure.mutate({
      tenantId: tenant,
      instanceId: "w",
      config: { title: "Renamed", apiKey: SECRET },
    });
    const manifest = await afterWrite();
    expect(pluginNamed(manifest, "w").config).toEqual({ title: "Renamed" });
    expect(JSON.stringify(manifest)).not.toContain(SECRET);
  });

  it("upgrade", async () => {
    await editor.installations.upgrade.mutate({ tenantId: tenant, instanceId: "w", version: "2.0.0" });
    const manifest = await afterWrite();
    expect(manifest.plugins).toEqual([widgetEntry("w", "fresh-widget", "2.0.0", { title: "Renamed" })]);
    expect(manifest.importMap.imports["@plugins/w"]).toBe(bundleUrl("fresh-widget", "2.0.0"));
    expect(Object.keys(manifest.importMap.integrity)).toEqual([bundleUrl("fresh-widget", "2.0.0")]);
  });

  it("rollback", async () => {
    await editor.installations.rollback.mutate({ tenantId: tenant, instanceId: "w" });
    const manifest = await afterWrite();
    expect(manifest.plugins).toEqual([widgetEntry("w", "fresh-widget", "1.0.0", { title: "Renamed" })]);
  });

  it("uninstall (after deactivate), and a reinstall under the same instance id", async () => {
    await editor.installations.deactivate.mutate({ tenantId: tenant, instanceId: "w" });
    expect((await afterWrite()).plugins).toEqual([]);
    await editor.installations.uninstall.mutate({ tenantId: tenant, instanceId: "w" });
    // Nothing a frontend loads changed: same content, same ETag.
    const manifest = await afterWrite({ etagChanges: false });
    expect(manifest.plugins).toEqual([]);
    await editor.installations.install.mutate({
      tenantId: tenant,
      pluginId: "fresh-widget",
      instanceId: "w",
      version: "1.1.0",
      activate: true,
    });
    expect((await afterWrite()).plugins).toEqual([widgetEntry("w", "fresh-widget", "1.1.0", { title: "Hello" })]);
  });

  it("hosts.register", async () => {
    await editor.hosts.register.mutate({
      tenantId: tenant,
      version: "3.2.0",
      extensionPoints: [
        { name: "sidebar", contractVersion: "1.4.0" },
        { name: "dashboard-widgets", contractVersion: "1.0.0" },
      ],
    });
    expect((await afterWrite()).host).toEqual({
      version: "3.2.0",
      extensionPoints: [
        { name: "dashboard-widgets", contractVersion: "1.0.0" },
        { name: "sidebar", contractVersion: "1.4.0" },
      ],
    });
  });

  it("versions.deprecate of the running version, and lifting it", async () => {
    await trpc(stack, alice).versions.deprecate.mutate({
      pluginId: "fresh-widget",
      version: "1.1.0",
      message: "Move to 2.x",
      replacement: "follower",
    });
    expect(pluginNamed(await afterWrite(), "w").deprecated).toEqual({
      message: "Move to 2.x",
      replacement: "follower",
    });
    await trpc(stack, alice).versions.deprecate.mutate({ pluginId: "fresh-widget", version: "1.1.0", message: "" });
    expect(pluginNamed(await afterWrite(), "w").deprecated).toBeNull();
  });

  it("versions.block of the running version moves the instance to withheld; an upgrade brings it back", async () => {
    await editor.installations.install.mutate({
      tenantId: tenant,
      pluginId: "doomed",
      version: "1.0.0",
      activate: true,
    });
    expect(instanceIds(await afterWrite())).toEqual(["doomed", "w"]);

    await trpc(stack, admin).versions.block.mutate({ pluginId: "doomed", version: "1.0.0", reason: "malware" });
    const blocked = await afterWrite();
    expect(instanceIds(blocked)).toEqual(["w"]);
    expect(blocked.withheld).toEqual([
      {
        instanceId: "doomed",
        pluginId: "doomed",
        version: "1.0.0",
        reason: "this version was blocked by the registry",
      },
    ]);
    expect(blocked.importMap.imports["@plugins/doomed"]).toBeUndefined();
    expect(JSON.stringify(blocked.importMap)).not.toContain("/doomed/");
    // The instance itself is still active: withheld is not a status change.
    const { rows } = await stack.db.query(
      "select status from installations where tenant_id = $1 and instance_id = $2",
      [tenant, "doomed"],
    );
    expect(rows).toEqual([{ status: "active" }]);

    await editor.installations.upgrade.mutate({ tenantId: tenant, instanceId: "doomed", version: "1.1.0" });
    const back = await afterWrite();
    expect(back.withheld).toEqual([]);
    expect(pluginNamed(back, "doomed")).toEqual(widgetEntry("doomed", "doomed", "1.1.0", {}));
  });

  it("auto-update on publish with policy minor, and setUpdatePolicy catching a pinned instance up", async () => {
    await editor.installations.install.mutate({
      tenantId: tenant,
      pluginId: "follower",
      updatePolicy: "minor",
      activate: true,
    });
    await editor.installations.install.mutate({
      tenantId: tenant,
      pluginId: "follower",
      instanceId: "lagging",
      activate: true,
    });
    let manifest = await afterWrite();
    expect(pluginNamed(manifest, "follower").version).toBe("1.0.0");
    expect(pluginNamed(manifest, "lagging").version).toBe("1.0.0");

    await publishWidget("follower", "1.1.0", false);
    manifest = await afterWrite();
    expect(pluginNamed(manifest, "follower")).toEqual(widgetEntry("follower", "follower", "1.1.0", {}));
    expect(pluginNamed(manifest, "lagging").version).toBe("1.0.0");

    // A major is beyond `minor`: nothing moves, nothing changes.
    await publishWidget("follower", "2.0.0", false);
    manifest = await afterWrite({ etagChanges: false });
    expect(pluginNamed(manifest, "follower").version).toBe("1.1.0");

    await editor.installations.setUpdatePolicy.mutate({
      tenantId: tenant,
      instanceId: "lagging",
      updatePolicy: "minor",
    });
    manifest = await afterWrite();
    expect(pluginNamed(manifest, "lagging")).toEqual(widgetEntry("lagging", "follower", "1.1.0", {}));
  });
  it("the REST calls: POST /api/plugins/install, /stop/:instanceId and /start/:instanceId", async () => {
    const token = await member("editor", tenant);
    const installed = await install(stack, token, tenant, { pluginId: "rush", instanceId: "rest", activate: true });
    expect(installed.status, await installed.text()).toBe(201);
    expect(pluginNamed(await afterWrite(), "rest")).toEqual(widgetEntry("rest", "rush", "1.0.0", {}));

    const restCall = (action: "start" | "stop") =>
      fetch(`${stack.url}/api/plugins/${action}/rest`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "x-tenant-id": tenant },
      });
    const stopped = await restCall("stop");
    expect(stopped.status, await stopped.text()).toBe(200);
    expect(instanceIds(await afterWrite())).not.toContain("rest");
    const started = await restCall("start");
    expect(started.status, await started.text()).toBe(200);
    expect(instanceIds(await afterWrite())).toContain("rest");
  });
});

describe("concurrent writes for one tenant", () => {
  const tenant = "rush-co";
  let editor: ReturnType<typeof trpc>;
  const first = Array.from({ length: 10 }, (_, index) => `c${index}`);
  const second = Array.from({ length: 5 }, (_, index) => `d${index}`);

  beforeAll(async () => {
    editor = trpc(stack, await member("editor", tenant));
  });

  it("lists all 10 instances after 10 concurrent installs with activate: true (the tenant's first writes)", async () => {
    const results = await Promise.allSettled(
      first.map((instanceId) =>
        editor.installations.install.mutate({ tenantId: tenant, pluginId: "rush", instanceId, activate: true }),
      ),
    );
    expect(results.map((result) => result.status)).toEqual(first.map(() => "fulfilled"));
    const { manifest } = await manifestOf(tenant);
    expect(instanceIds(manifest)).toEqual(first);
    expect(instanceIds(manifest)).toEqual(await activeInDatabase(tenant));
    expectImportMapMatches(manifest);
    expect(Object.keys(manifest.importMap.imports)).toHaveLength(20);
  });

  it("lists every instance after concurrent installs into a tenant that already has a manifest", async () => {
    const results = await Promise.allSettled(
      second.map((instanceId) =>
        editor.installations.install.mutate({ tenantId: tenant, pluginId: "rush", instanceId, activate: true }),
      ),
    );
    expect(results.map((result) => result.status)).toEqual(second.map(() => "fulfilled"));
    const { manifest } = await manifestOf(tenant);
    expect(instanceIds(manifest)).toEqual([...first, ...second]);
  });

  it("equals the active instances in the database after concurrent activates and deactivates", async () => {
    const evens = first.filter((_, index) => index % 2 === 0);
    const odds = first.filter((_, index) => index % 2 === 1);
    // Round 1: stop the even c's and every d at once.
    let results = await Promise.allSettled([
      ...evens.map((instanceId) => editor.installations.deactivate.mutate({ tenantId: tenant, instanceId })),
      ...second.map((instanceId) => editor.installations.deactivate.mutate({ tenantId: tenant, instanceId })),
    ]);
    expect(results.every((result) => result.status === "fulfilled")).toBe(true);
    let { manifest } = await manifestOf(tenant);
    expect(instanceIds(manifest)).toEqual(odds);
    expect(instanceIds(manifest)).toEqual(await activeInDatabase(tenant));

    // Round 2: start them again while stopping the odd ones.
    results = await Promise.allSettled([
      ...evens.map((instanceId) => editor.installations.activate.mutate({ tenantId: tenant, instanceId })),
      ...second.map((instanceId) => editor.installations.activate.mutate({ tenantId: tenant, instanceId })),
      ...odds.map((instanceId) => editor.installations.deactivate.mutate({ tenantId: tenant, instanceId })),
    ]);
    expect(results.every((result) => result.status === "fulfilled")).toBe(true);
    ({ manifest } = await manifestOf(tenant));
    expect(instanceIds(manifest)).toEqual([...evens, ...second].sort());
    expect(instanceIds(manifest)).toEqual(await activeInDatabase(tenant));
    expectImportMapMatches(manifest);
  });
});

describe("who may read a tenant's manifest", () => {
  const tenant = "shop";

  it.each(["manifest", "importmap"] as const)("refuses the %s route without a token (401)", async (route) => {
    const response = await getManifest(tenant, null, {}, route);
    await expectError(response, 401, "UNAUTHORIZED");
  });

  it("refuses a guest on tRPC with UNAUTHORIZED", async () => {
    await expectTrpcError(trpc(stack).manifests.get.query({ tenantId: tenant }), "UNAUTHORIZED", 401);
  });

  it.each(["viewer", "editor"] as const)("answers a %s of the tenant with 200 on both routes", async (role) => {
    const token = await member(role, tenant);
    const manifest = await getManifest(tenant, token);
    expect(manifest.status).toBe(200);
    expect(((await manifest.json()) as TenantManifest).tenantId).toBe(tenant);
    const importMap = await getManifest(tenant, token, {}, "importmap");
    expect(importMap.status).toBe(200);
    await importMap.arrayBuffer();
  });

  it.each(["viewer", "editor"] as const)(
    "answers a %s of another tenant 404 as if the tenant did not exist, never 403",
    async (role) => {
      const token = await member(role, "globex");
      for (const route of ["manifest", "importmap"] as const) {
        const message = await expectError(await getManifest(tenant, token, {}, route), 404, "NOT_FOUND");
        expect(message).toBe(`No tenant '${tenant}'`);
      }
      // Even with a matching ETag the answer reveals nothing.
      const { etag } = await manifestOf(tenant);
      await expectError(await getManifest(tenant, token, { "if-none-match": etag }), 404, "NOT_FOUND");
      await expectTrpcError(trpc(stack, token).manifests.get.query({ tenantId: tenant }), "NOT_FOUND", 404);
    },
  );

  it("answers an admin for any tenant, including one that never installed anything", async () => {
    const own = await manifestOf(tenant, await member("viewer", tenant));
    const asAdmin = await manifestOf(tenant, admin);
    expect(asAdmin).toEqual(own);
    const { manifest } = await manifestOf("never-seen", admin);
    expect(manifest).toEqual({
      tenantId: "never-seen",
      host: null,
      plugins: [],
      withheld: [],
      importMap: { imports: {}, integrity: {} },
    });
    const answer = await trpc(stack, admin).manifests.get.query({ tenantId: tenant });
    expect(answer.etag).toBe(own.etag);
  });

  it.each(["Bad_Tenant!", "UPPER", "-leading-dash", "a".repeat(65)])(
    "answers a malformed tenant in the path (%s) with 400",
    async (bad) => {
      for (const route of ["manifest", "importmap"] as const) {
        await expectError(await getManifest(bad, admin, {}, route), 400, "BAD_REQUEST");
      }
    },
  );

  it("answers a malformed tenant on tRPC with BAD_REQUEST", async () => {
    await expectTrpcError(trpc(stack, admin).manifests.get.query({ tenantId: "Bad_Tenant!" }), "BAD_REQUEST", 400);
  });

  it("marks both routes private, revalidated on every use, and varying by authorization", async () => {
    for (const route of ["manifest", "importmap"] as const) {
      const response = await getManifest(tenant, await member("viewer", tenant), {}, route);
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("private, no-cache");
      expect(varyNames(response)).toContain("authorization");
      const text = await response.text();
      expect(text).not.toContain(SECRET);
    }
  });
});

describe("the manifest is served from its stored copy, regenerated only by writes through the API", () => {
  const tenant = "cache-co";

  it("does not show a row changed behind the API's back until the next write through the API", async () => {
    const editor = trpc(stack, await member("editor", tenant));
    await editor.installations.install.mutate({
      tenantId: tenant,
      pluginId: "widget",
      instanceId: "a",
      activate: true,
      config: { title: "Original" },
    });
    const before = await manifestOf(tenant);
    expect(pluginNamed(before.manifest, "a").config).toEqual({ title: "Original" });

    const updated = await stack.db.query(
      "update installations set config = $1::jsonb where tenant_id = $2 and instance_id = 'a' and status = 'active'",
      [JSON.stringify({ title: "Changed behind the API" }), tenant],
    );
    expect(updated.rowCount).toBe(1);

    // Reads never recompute: the same document, the same ETag, still 304 for it.
    const stale = await manifestOf(tenant);
    expect(stale).toEqual(before);
    const conditional = await getManifest(tenant, await member("viewer", tenant), { "if-none-match": before.etag });
    expect(conditional.status).toBe(304);
    await conditional.arrayBuffer();

    // The next write regenerates the whole document from the rows, the out-of-band change included.
    await editor.installations.install.mutate({
      tenantId: tenant,
      pluginId: "widget",
      instanceId: "b",
      activate: true,
    });
    const after = await manifestOf(tenant);
    expect(after.etag).not.toBe(before.etag);
    expect(after.manifest.plugins).toEqual([
      widgetEntry("a", "widget", "2.0.0", { title: "Changed behind the API" }),
      widgetEntry("b", "widget", "2.0.0", { title: "Hello" }),
    ]);
  });
});
