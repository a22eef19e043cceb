import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { mintCast } from "./cast";
import {
  contentDigest,
  expectError,
  type PublishedVersion,
  pluginMetadata,
  present,
  publish,
  sha256Hex,
  sriSha384,
  storedBytes,
  trpc,
  UUID,
  upload,
} from "./helpers";
import { type Stack, startStack } from "./stack";

/** The manifest as validated and stored: defaults filled in. */
const STORED_MANIFEST = { ...pluginMetadata(), permissions: [], dependencies: {} };

let stack: Stack;
let alice: string;

beforeAll(async () => {
  stack = await startStack();
  // The cast's alice, with an email claim as well (an identity provider may send one).
  alice = await stack.token({ sub: "alice", role: "editor", tenant: "acme", email: "alice@example.com" });
});
afterAll(() => stack?.stop());

/** Not plain ASCII and larger than one read, so a re-encoding or truncation would show. */
const BUNDLE = `// ünïcødé ✓ — 日本語\nexport default function activate(host) {\n${"  host.log('x');\n".repeat(8000)}}\n`;
const BUNDLE_BYTES = new TextEncoder().encode(BUNDLE);
const BUNDLE_URL_PATH = "/plugins/bundles/test-plugin/v1.0.0/bundle.js";

async function auditRows(resourceId: string) {
  const { rows } = await stack.db.query(
    "select actor_id, actor_role, tenant_id, action, resource_type, resource_id, details, request_id, user_agent from audit_log where resource_id = $1 order by id",
    [resourceId],
  );
  return rows;
}

function expectImmutableBundleHeaders(response: Response) {
  expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  expect(response.headers.get("access-control-allow-origin")).toBe("*");
  expect(response.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("x-request-id")).toMatch(UUID);
}

describe("publishing test-plugin 1.0.0", () => {
  let published: PublishedVersion;
  let publishResponse: Response;

  beforeAll(async () => {
    publishResponse = await upload(stack, {
      token: alice,
      metadata: pluginMetadata(),
      file: BUNDLE,
      headers: { "user-agent": "plugin-cli/1.2 (tests)" },
    });
    expect(publishResponse.status, await publishResponse.clone().text()).toBe(201);
    published = (await publishResponse.json()) as PublishedVersion;
  });

  it("answers 201 with the version record, its digests over the exact bytes and an absolute bundle URL", () => {
    expect(published).toEqual({
      id: "test-plugin",
      name: "Test Plugin",
      version: "1.0.0",
      description: "A test plugin",
      category: "payment",
      extensionPoints: ["payment-methods"],
      permissions: [],
      dependencies: {},
      status: "published",
      entry: "bundle.js",
      fileCount: 1,
      size: BUNDLE_BYTES.byteLength,
      sha256: sha256Hex(BUNDLE_BYTES),
      integrity: sriSha384(BUNDLE_BYTES),
      bundleUrl: `${stack.url}${BUNDLE_URL_PATH}`,
      publishedAt: expect.any(String),
      publishedBy: "alice",
      signature: {
        keyid: "dev-2026",
        statementVersion: 1,
        files: expect.any(String),
        sig: expect.any(String),
        signedAt: expect.any(String),
      },
    });
    expect(published.integrity).toMatch(/^sha384-[A-Za-z0-9+/]{64}$/);
    expect(Date.now() - Date.parse(published.publishedAt)).toBeLessThan(60_000);
    expect(new URL(published.bundleUrl).origin).toBe(new URL(stack.url).origin);
    expect(publishResponse.headers.get("x-request-id")).toMatch(UUID);
  });

  it("records the version in plugin_versions and the plugin with alice as owner and 1.0.0 as latest", async () => {
    const { rows: versions } = await stack.db.query(
      `select plugin_id, version, entry, file_count, size, content_digest, integrity, status, status_reason,
              deprecation_message, deprecation_replacement, published_by, manifest
         from plugin_versions where plugin_id = 'test-plugin'`,
    );
    expect(versions).toEqual([
      {
        plugin_id: "test-plugin",
        version: "1.0.0",
        entry: "bundle.js",
        file_count: 1,
        size: BUNDLE_BYTES.byteLength,
        content_digest: contentDigest([{ path: "bundle.js", bytes: BUNDLE_BYTES }], STORED_MANIFEST),
        integrity: sriSha384(BUNDLE_BYTES),
        status: "published",
        status_reason: null,
        deprecation_message: null,
        deprecation_replacement: null,
        published_by: "alice",
        // The manifest as validated: defaults filled in.
        manifest: STORED_MANIFEST,
      },
    ]);
    const { rows: files } = await stack.db.query(
      "select path, size, content_type, sha256, integrity from version_files where plugin_id = 'test-plugin'",
    );
    expect(files).toEqual([
      {
        path: "bundle.js",
        size: BUNDLE_BYTES.byteLength,
        content_type: "text/javascript; charset=utf-8",
        sha256: sha256Hex(BUNDLE_BYTES),
        integrity: sriSha384(BUNDLE_BYTES),
      },
    ]);
    const { rows: plugins } = await stack.db.query("select id, owner_id, name from plugins where id = 'test-plugin'");
    expect(plugins).toEqual([{ id: "test-plugin", owner_id: "alice", name: "Test Plugin" }]);
    const { rows: tags } = await stack.db.query(
      "select tag, version, explicit from dist_tags where plugin_id = 'test-plugin'",
    );
    expect(tags).toEqual([{ tag: "latest", version: "1.0.0", explicit: false }]);
  });

  it("stores the bytes in R2 under test-plugin/1.0.0/bundle.js as JavaScript", async () => {
    const stored = present(await storedBytes(stack, "test-plugin/1.0.0/bundle.js"), "the R2 object");
    expect(stored.equals(Buffer.from(BUNDLE_BYTES))).toBe(true);
    const object = present(await stack.bucket.head("test-plugin/1.0.0/bundle.js"), "the R2 object");
    expect(object.httpMetadata?.contentType).toBe("text/javascript; charset=utf-8");
    expect((await stack.bucket.list({ prefix: "test-plugin/" })).objects.map((o) => o.key)).toEqual([
      "test-plugin/1.0.0/bundle.js",
    ]);
  });

  it("writes one plugin_version.publish audit entry carrying the request's id and user agent", async () => {
    expect(await auditRows("test-plugin@1.0.0")).toEqual([
      {
        actor_id: "alice",
        actor_role: "editor",
        tenant_id: null,
        action: "plugin_version.publish",
        resource_type: "plugin_version",
        resource_id: "test-plugin@1.0.0",
        details: {
          files: 1,
          size: BUNDLE_BYTES.byteLength,
          contentDigest: contentDigest([{ path: "bundle.js", bytes: BUNDLE_BYTES }], STORED_MANIFEST),
          tag: "latest",
        },
        request_id: publishResponse.headers.get("x-request-id"),
        user_agent: "plugin-cli/1.2 (tests)",
      },
    ]);
  });

  it("serves the bytes back byte-identical from the bundle URL with immutable, cross-origin headers, no token needed", async () => {
    const response = await fetch(published.bundleUrl, { headers: { "accept-encoding": "identity" } });
    expect(response.status).toBe(200);
    expectImmutableBundleHeaders(response);
    const object = present(await stack.bucket.head("test-plugin/1.0.0/bundle.js"), "the R2 object");
    expect(response.headers.get("etag")).toBe(object.httpEtag);
    expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    expect(response.headers.get("content-length")).toBe(String(BUNDLE_BYTES.byteLength));
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.equals(Buffer.from(BUNDLE_BYTES))).toBe(true);
    expect(sha256Hex(bytes)).toBe(published.sha256);
  });

  it("serves the same bytes again on a repeat request (edge cache) with the same headers", async () => {
    const first = await fetch(published.bundleUrl);
    const second = await fetch(published.bundleUrl);
    for (const response of [first, second]) {
      expect(response.status).toBe(200);
      expectImmutableBundleHeaders(response);
      expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(BUNDLE_BYTES))).toBe(true);
    }
    expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(second.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
  });

  it("answers HEAD with the same headers and no body", async () => {
    const response = await fetch(published.bundleUrl, { method: "HEAD", headers: { "accept-encoding": "identity" } });
    expect(response.status).toBe(200);
    expectImmutableBundleHeaders(response);
    expect(response.headers.get("etag")).toBe(present(await stack.bucket.head("test-plugin/1.0.0/bundle.js")).httpEtag);
    expect(response.headers.get("content-length")).toBe(String(BUNDLE_BYTES.byteLength));
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it("answers an identical republish with 200 and the stored record, without a new audit entry or object", async () => {
    const before = await stack.snapshot();
    const response = await upload(stack, { token: alice, metadata: pluginMetadata(), file: BUNDLE });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(published);
    expect(await stack.snapshot()).toEqual(before);
    expect(await auditRows("test-plugin@1.0.0")).toHaveLength(1);
  });

  it("refuses a republish of 1.0.0 with the same bytes but other metadata (409) and keeps the original", async () => {
    const before = await stack.snapshot();
    const response = await upload(stack, {
      token: alice,
      metadata: pluginMetadata({ description: "A quietly rewritten description" }),
      file: BUNDLE_BYTES,
    });
    expect(await expectError(response, 409, "CONFLICT")).toContain("different content");
    expect(await stack.snapshot()).toEqual(before);
    const { rows } = await stack.db.query("select manifest from plugin_versions where plugin_id = 'test-plugin'");
    expect(rows).toEqual([{ manifest: STORED_MANIFEST }]);
  });

  it("refuses a republish of 1.0.0 with different bytes (409) and keeps the original", async () => {
    const before = await stack.snapshot();
    const response = await upload(stack, { token: alice, metadata: pluginMetadata(), file: "export default 2;\n" });
    const message = await expectError(response, 409, "CONFLICT");
    expect(message).toContain("test-plugin@1.0.0");
    expect(await stack.snapshot()).toEqual(before);

    const stored = present(await storedBytes(stack, "test-plugin/1.0.0/bundle.js"));
    expect(sha256Hex(stored)).toBe(sha256Hex(BUNDLE_BYTES));
    const { rows } = await stack.db.query(
      "select path, sha256 from version_files where plugin_id = 'test-plugin' and version = '1.0.0'",
    );
    expect(rows).toEqual([{ path: "bundle.js", sha256: sha256Hex(BUNDLE_BYTES) }]);
    const { rows: versions } = await stack.db.query(
      "select content_digest from plugin_versions where plugin_id = 'test-plugin'",
    );
    expect(versions).toEqual([
      { content_digest: contentDigest([{ path: "bundle.js", bytes: BUNDLE_BYTES }], STORED_MANIFEST) },
    ]);
    const served = await fetch(published.bundleUrl);
    expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(BUNDLE_BYTES))).toBe(true);
  });

  it("lets an admin republish the identical bytes of alice's version (200) but not replace them (409)", async () => {
    const admin = (await mintCast(stack)).root;
    const same = await upload(stack, { token: admin, metadata: pluginMetadata(), file: BUNDLE });
    expect(same.status).toBe(200);
    expect(((await same.json()) as PublishedVersion).publishedBy).toBe("alice");
    await expectError(await upload(stack, { token: admin, metadata: pluginMetadata(), file: "x" }), 409, "CONFLICT");
  });
});

describe("bundle URLs", () => {
  it("answers an unknown version with a 404 envelope, a 10-second cache and the cross-origin headers", async () => {
    const response = await fetch(`${stack.url}/plugins/bundles/test-plugin/v9.9.9/bundle.js`);
    expect(response.headers.get("cache-control")).toBe("public, max-age=10");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(await expectError(response, 404, "NOT_FOUND")).toBe("No such bundle file");
  });

  it.each([
    ["an unknown plugin", "/plugins/bundles/no-such-plugin/v1.0.0/bundle.js"],
    ["a version without the v prefix", "/plugins/bundles/test-plugin/1.0.0/bundle.js"],
    ["a non-normalized version", "/plugins/bundles/test-plugin/vv1.0.0/bundle.js"],
    ["an unknown file of a known version", "/plugins/bundles/test-plugin/v1.0.0/other.js"],
    ["an uppercase plugin id", "/plugins/bundles/Test-Plugin/v1.0.0/bundle.js"],
    ["an encoded traversal", "/plugins/bundles/test-plugin/v1.0.0/%2E%2E%2Fbundle.js"],
  ])("answers %s with 404", async (_, path) => {
    const response = await fetch(`${stack.url}${path}`);
    await expectError(response, 404, "NOT_FOUND");
  });
});

describe("versions", () => {
  it("normalizes v1.2.3 to 1.2.3 in the record, the database, R2 and the URL", async () => {
    const body = await publish(stack, alice, pluginMetadata({ id: "normalized", version: "v1.2.3" }), "export {};\n");
    expect(body.version).toBe("1.2.3");
    expect(body.bundleUrl).toBe(`${stack.url}/plugins/bundles/normalized/v1.2.3/bundle.js`);
    const { rows } = await stack.db.query(
      "select version, manifest->>'version' as manifest_version, entry from plugin_versions where plugin_id = 'normalized'",
    );
    expect(rows).toEqual([{ version: "1.2.3", manifest_version: "1.2.3", entry: "bundle.js" }]);
    const { rows: files } = await stack.db.query(
      "select version, path from version_files where plugin_id = 'normalized'",
    );
    expect(files).toEqual([{ version: "1.2.3", path: "bundle.js" }]);
    expect(await stack.bucket.head("normalized/1.2.3/bundle.js")).not.toBeNull();
    const served = await fetch(body.bundleUrl);
    expect(served.status).toBe(200);
    expect(await served.text()).toBe("export {};\n");
  });

  it("treats 1.2.3 and v1.2.3 as the same version: the same bytes are a 200 republish", async () => {
    const response = await upload(stack, {
      token: alice,
      metadata: pluginMetadata({ id: "normalized", version: "1.2.3" }),
      file: "export {};\n",
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as PublishedVersion).version).toBe("1.2.3");
  });

  it("redirects /api/plugins/:id/bundle to the highest stable version, not a prerelease or the last published", async () => {
    for (const version of ["1.0.0", "1.10.0", "1.2.0", "2.0.0-beta.1"]) {
      await publish(stack, alice, pluginMetadata({ id: "ordered", version }));
    }
    const response = await fetch(`${stack.url}/api/plugins/ordered/bundle`, { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`${stack.url}/plugins/bundles/ordered/v1.10.0/bundle.js`);
    expect(response.headers.get("cache-control")).toBe("public, max-age=60, stale-while-revalidate=300");
    expect(response.headers.get("x-request-id")).toMatch(UUID);

    const followed = await fetch(`${stack.url}/api/plugins/ordered/bundle`);
    expect(followed.status).toBe(200);
    expect(await followed.text()).toBe(
      `export default ${JSON.stringify(pluginMetadata({ id: "ordered", version: "1.10.0" }))};`,
    );
  });

  it("points latest at a prerelease only while no stable version exists", async () => {
    await publish(stack, alice, pluginMetadata({ id: "early", version: "3.0.0-rc.1" }));
    const before = await fetch(`${stack.url}/api/plugins/early/bundle`, { redirect: "manual" });
    expect(before.headers.get("location")).toBe(`${stack.url}/plugins/bundles/early/v3.0.0-rc.1/bundle.js`);
    await publish(stack, alice, pluginMetadata({ id: "early", version: "0.9.0" }));
    const after = await fetch(`${stack.url}/api/plugins/early/bundle`, { redirect: "manual" });
    expect(after.headers.get("location")).toBe(`${stack.url}/plugins/bundles/early/v0.9.0/bundle.js`);
  });

  it("answers the redirect of an unknown plugin with 404", async () => {
    const response = await fetch(`${stack.url}/api/plugins/no-such-plugin/bundle`, { redirect: "manual" });
    expect(await expectError(response, 404, "NOT_FOUND")).toContain("no-such-plugin");
  });

  it("resolves ranges over tRPC with the same integrity the upload reported", async () => {
    const api = trpc(stack);
    const resolved = await api.plugins.resolve.query({ pluginId: "ordered", range: "~1.2.0" });
    const { rows } = await stack.db.query(
      "select integrity from plugin_versions where plugin_id = 'ordered' and version = '1.2.0'",
    );
    expect(resolved).toEqual({
      pluginId: "ordered",
      version: "1.2.0",
      status: "published",
      entry: "bundle.js",
      integrity: rows[0].integrity,
      bundlePath: "/plugins/bundles/ordered/v1.2.0/bundle.js",
      deprecated: null,
    });
    // The client is typed by the plugins worker's router through `@plugins/api/client`.
    expectTypeOf(resolved).toEqualTypeOf<{
      pluginId: string;
      version: string;
      status: "published" | "yanked";
      entry: string;
      integrity: string;
      bundlePath: string;
      deprecated: { message: string; replacement: string | null } | null;
    }>();
  });

  it("pages plugins.search over tRPC by id with an opaque cursor", async () => {
    const api = trpc(stack);
    const first = await api.plugins.search.query({ limit: 2 });
    expect(first.items.map((plugin) => plugin.id)).toEqual(["early", "normalized"]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await api.plugins.search.query({ cursor: present(first.nextCursor), limit: 2 });
    expect(second.items.map((plugin) => plugin.id)).toEqual(["ordered", "test-plugin"]);
    expect(second.nextCursor).toBeNull();
    expect(second.items.find((plugin) => plugin.id === "ordered")?.latestVersion).toBe("1.10.0");
    expectTypeOf(second.nextCursor).toEqualTypeOf<string | null>();
  });

  it("lists a plugin's versions over tRPC with each one's immutable path", async () => {
    const plugin = await trpc(stack).plugins.get.query({ pluginId: "ordered" });
    expect(plugin.ownerId).toBe("alice");
    expect(plugin.versions.map((version) => [version.version, version.bundlePath])).toEqual([
      ["1.0.0", "/plugins/bundles/ordered/v1.0.0/bundle.js"],
      ["1.10.0", "/plugins/bundles/ordered/v1.10.0/bundle.js"],
      ["1.2.0", "/plugins/bundles/ordered/v1.2.0/bundle.js"],
      ["2.0.0-beta.1", "/plugins/bundles/ordered/v2.0.0-beta.1/bundle.js"],
    ]);
  });

  it("serves a prerelease from its own immutable URL", async () => {
    const response = await fetch(`${stack.url}/plugins/bundles/ordered/v2.0.0-beta.1/bundle.js`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(
      `export default ${JSON.stringify(pluginMetadata({ id: "ordered", version: "2.0.0-beta.1" }))};`,
    );
  });
});

describe("with PUBLIC_BASE_URL configured", () => {
  let cdn: Stack;
  beforeAll(async () => {
    cdn = await startStack({ apiBindings: { PUBLIC_BASE_URL: "https://plugins.example.com" } });
  });
  afterAll(() => cdn?.stop());

  it("builds bundle URLs and redirects on that origin instead of the request's", async () => {
    const token = (await mintCast(cdn)).alice;
    const body = await publish(cdn, token, pluginMetadata({ id: "cdn-plugin", version: "1.0.0" }));
    expect(body.bundleUrl).toBe("https://plugins.example.com/plugins/bundles/cdn-plugin/v1.0.0/bundle.js");
    const response = await fetch(`${cdn.url}/api/plugins/cdn-plugin/bundle`, { redirect: "manual" });
    expect(response.headers.get("location")).toBe(
      "https://plugins.example.com/plugins/bundles/cdn-plugin/v1.0.0/bundle.js",
    );
  });
});

describe("concurrent publishers", () => {
  it("lets exactly one of four different uploads of one new version win; R2 holds the winner's bytes", async () => {
    const files = ["a", "b", "c", "d"].map((tag) => `export const variant = "${tag}";\n`);
    const responses = await Promise.all(
      files.map((file) =>
        upload(stack, { token: alice, metadata: pluginMetadata({ id: "raced", version: "1.0.0" }), file }),
      ),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409, 409, 409]);
    const winner = present(files[responses.findIndex((response) => response.status === 201)]);
    const { rows } = await stack.db.query("select sha256 from version_files where plugin_id = 'raced'");
    expect(rows).toEqual([{ sha256: sha256Hex(winner) }]);
    const { rows: versions } = await stack.db.query(
      "select content_digest from plugin_versions where plugin_id = 'raced'",
    );
    expect(versions).toEqual([
      {
        content_digest: contentDigest([{ path: "bundle.js", bytes: winner }], {
          ...pluginMetadata({ id: "raced", version: "1.0.0" }),
          permissions: [],
          dependencies: {},
        }),
      },
    ]);
    expect(present(await storedBytes(stack, "raced/1.0.0/bundle.js")).toString()).toBe(winner);
    const { rows: audit } = await stack.db.query(
      "select count(*)::int as n from audit_log where resource_id = 'raced@1.0.0'",
    );
    expect(audit).toEqual([{ n: 1 }]);
  });

  it("gives a new plugin id to one of two racing publishers and refuses the other (403)", async () => {
    const { bob } = await mintCast(stack);
    const [first, second] = await Promise.all([
      upload(stack, { token: alice, metadata: pluginMetadata({ id: "contested" }) }),
      upload(stack, { token: bob, metadata: pluginMetadata({ id: "contested" }) }),
    ]);
    expect([first.status, second.status].sort()).toEqual([201, 403]);
    const winner = first.status === 201 ? "alice" : "bob";
    const { rows } = await stack.db.query("select owner_id from plugins where id = 'contested'");
    expect(rows).toEqual([{ owner_id: winner }]);
    const { rows: versions } = await stack.db.query(
      "select published_by from plugin_versions where plugin_id = 'contested'",
    );
    expect(versions).toEqual([{ published_by: winner }]);
  });

  it("answers concurrent identical uploads with one 201 and 200s, all with the same record", async () => {
    const metadata = pluginMetadata({ id: "raced", version: "2.0.0" });
    const responses = await Promise.all(
      [1, 2, 3].map(() => upload(stack, { token: alice, metadata, file: "export const same = true;\n" })),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 201]);
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as PublishedVersion[];
    expect(new Set(bodies.map((body) => JSON.stringify(body))).size).toBe(1);
  });
});
