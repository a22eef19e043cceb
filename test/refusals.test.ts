import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import {
  expectError,
  expectTrpcError,
  install,
  pluginMetadata,
  present,
  publish,
  sha256Hex,
  storedBytes,
  trpc,
  UUID,
  upload,
} from "./helpers";
import { type Stack, startStack } from "./stack";

/**
 * Requests a caller may send by mistake (a missing or invalid field, a version that exists,
 * the wrong media type, a route that does not exist) are refused in the REST envelope with a
 * 4xx naming the problem, and change nothing. The hostile variants live by threat:
 * forged-identity, cross-tenant, cross-owner, traversal, hostile-bodies.
 */

let stack: Stack;
let cast: Cast;
const ORIGINAL = "export default 'original';\n";

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  // What the refusals must leave alone: alice's plugin with one version, installed once for acme.
  await publish(stack, cast.alice, pluginMetadata({ id: "owned", version: "1.0.0" }), ORIGINAL);
  const installed = await install(stack, cast.alice, "acme", { pluginId: "owned" });
  expect(installed.status).toBe(201);
});
afterAll(() => stack?.stop());

/** Runs a request that must be refused: the envelope, the status, the code, and no row or object changed. */
async function expectRefusal(send: () => Promise<Response>, status: number, code: string): Promise<string> {
  const before = await stack.snapshot();
  const response = await send();
  expect(response.status, `a refusal, not a failure: ${await response.clone().text()}`).toBeLessThan(500);
  const message = await expectError(response, status, code);
  expect(await stack.snapshot()).toEqual(before);
  return message;
}

describe("refuses an upload it cannot accept", () => {
  it("from a viewer (403)", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: cast.vera, metadata: pluginMetadata({ id: "fresh" }) }),
      403,
      "FORBIDDEN",
    );
    expect(message).toContain("viewer");
  });

  it("of 1.0.0 again with different bytes (409), keeping the original bytes", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: cast.alice, metadata: pluginMetadata({ id: "owned" }), file: "x" }),
      409,
      "CONFLICT",
    );
    expect(message).toContain("owned@1.0.0");
    expect(present(await storedBytes(stack, "owned/1.0.0/bundle.js")).toString()).toBe(ORIGINAL);
    const { rows } = await stack.db.query("select path, sha256 from version_files where plugin_id = 'owned'");
    expect(rows).toEqual([{ path: "bundle.js", sha256: sha256Hex(ORIGINAL) }]);
  });

  it("sent as JSON instead of multipart (415)", async () => {
    const message = await expectRefusal(
      () =>
        fetch(`${stack.url}/api/plugins/upload`, {
          method: "POST",
          headers: { authorization: `Bearer ${cast.alice}`, "content-type": "application/json" },
          body: JSON.stringify({ metadata: pluginMetadata({ id: "fresh" }), file: "export default 1" }),
        }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    expect(message).toContain("multipart/form-data");
  });

  it("without the file field (400 naming file)", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: cast.alice, metadata: pluginMetadata({ id: "fresh" }), file: null }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toMatch(/^file: /);
  });

  it("with file sent as a plain text field (400 naming file)", async () => {
    const form = new FormData();
    form.set("file", "export default 1;");
    form.set("metadata", JSON.stringify(pluginMetadata({ id: "fresh" })));
    const message = await expectRefusal(
      () =>
        fetch(`${stack.url}/api/plugins/upload`, {
          method: "POST",
          body: form,
          headers: { authorization: `Bearer ${cast.alice}` },
        }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toMatch(/^file: /);
  });

  it("without the metadata field (400 naming metadata)", async () => {
    const message = await expectRefusal(() => upload(stack, { token: cast.alice, metadata: null }), 400, "BAD_REQUEST");
    expect(message).toMatch(/^metadata: /);
  });

  it("with an empty file (400 naming file)", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: cast.alice, metadata: pluginMetadata({ id: "fresh" }), file: "" }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toBe("file: the bundle is empty");
  });

  const fieldCases: [string, Record<string, unknown> | string, RegExp][] = [
    ["metadata that is not JSON", "{not json", /^metadata: is not valid JSON$/],
    ["metadata that is a JSON array", "[]", /^metadata: /],
    ["an invalid semver version", pluginMetadata({ id: "fresh", version: "1.0" }), /(^|; )metadata\.version: "1\.0"/],
    ["a version that is a word", pluginMetadata({ id: "fresh", version: "latest" }), /(^|; )metadata\.version: /],
    ["a missing version", { ...pluginMetadata({ id: "fresh" }), version: undefined }, /(^|; )metadata\.version: /],
    ["a plugin id with ..", pluginMetadata({ id: "a..b" }), /(^|; )metadata\.id: /],
    ["a plugin id that is ..", pluginMetadata({ id: ".." }), /(^|; )metadata\.id: /],
    ["a plugin id with /", pluginMetadata({ id: "evil/plugin" }), /(^|; )metadata\.id: /],
    ["an uppercase plugin id", pluginMetadata({ id: "Test-Plugin" }), /(^|; )metadata\.id: /],
    ["a plugin id over 64 characters", pluginMetadata({ id: "a".repeat(65) }), /(^|; )metadata\.id: /],
    ["an empty name", pluginMetadata({ id: "fresh", name: "   " }), /(^|; )metadata\.name: /],
    [
      "a category with spaces",
      pluginMetadata({ id: "fresh", category: "Payment Methods" }),
      /(^|; )metadata\.category: /,
    ],
    [
      "an extension point that is not a label",
      pluginMetadata({ id: "fresh", extensionPoints: ["ok", "Not OK"] }),
      /(^|; )metadata\.extensionPoints\.1: /,
    ],
    ["an unknown extra field", pluginMetadata({ id: "fresh", website: "https://x" }), /(^|; )metadata: .*"website"/],
  ];

  it.each(fieldCases)("with %s (400 naming the field)", async (_, metadata, expected) => {
    const message = await expectRefusal(() => upload(stack, { token: cast.alice, metadata }), 400, "BAD_REQUEST");
    expect(message).toMatch(expected);
  });

  it("with a NUL character in the description (400 naming description, not a database error)", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: cast.alice, metadata: pluginMetadata({ id: "fresh", description: "a\u0000b" }) }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toMatch(/(^|; )metadata\.description: /);
  });

  it("with a lone UTF-16 surrogate in the name (400 naming name), leaving no object behind in R2", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: cast.alice, metadata: pluginMetadata({ id: "surrogate", name: "Pay \ud800" }) }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toMatch(/(^|; )metadata\.name: /);
    expect(await storedBytes(stack, "surrogate/1.0.0/bundle.js")).toBeNull();
    const served = await fetch(`${stack.url}/plugins/bundles/surrogate/v1.0.0/bundle.js`);
    expect(served.status).toBe(404);
  });

  it("names every invalid field at once", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: cast.alice, metadata: pluginMetadata({ id: "A/B", version: "x", category: "" }) }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toMatch(/metadata\.id: /);
    expect(message).toMatch(/metadata\.version: /);
    expect(message).toMatch(/metadata\.category: /);
  });
});

describe("refuses an install it cannot accept", () => {
  it("without a token (401)", async () => {
    await expectRefusal(
      () => install(stack, null, "acme", { pluginId: "owned", instanceId: "x2" }),
      401,
      "UNAUTHORIZED",
    );
  });

  it("from a viewer of the tenant (403)", async () => {
    const message = await expectRefusal(
      () => install(stack, cast.vera, "acme", { pluginId: "owned", instanceId: "viewer-copy" }),
      403,
      "FORBIDDEN",
    );
    expect(message).toContain("viewer");
  });

  it("without x-tenant-id (400 naming the header)", async () => {
    const message = await expectRefusal(
      () => install(stack, cast.alice, null, { pluginId: "owned" }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toContain("x-tenant-id");
  });

  it.each([
    ["malformed JSON", '{"pluginId": "owned"', /not valid JSON/],
    ["an empty body", "", /not valid JSON/],
    ["a JSON array", "[]", /pluginId/],
    ["a body without pluginId", {}, /(^|; )pluginId: /],
    ["a plugin id with ..", { pluginId: "a..b" }, /(^|; )pluginId: /],
    ["a plugin id with /", { pluginId: "a/b" }, /(^|; )pluginId: /],
    ["an uppercase plugin id", { pluginId: "Owned" }, /(^|; )pluginId: /],
    ["an invalid instance id", { pluginId: "owned", instanceId: "../x" }, /(^|; )instanceId: /],
    ["a version that is not a range", { pluginId: "owned", version: "^^1" }, /(^|; )version: /],
    ["a version that is neither tag nor range", { pluginId: "owned", version: "not a range!" }, /(^|; )version: /],
    ["a tag-like word with uppercase", { pluginId: "owned", version: "Latest" }, /(^|; )version: /],
  ])("with %s (400)", async (_, body, expected) => {
    const message = await expectRefusal(() => install(stack, cast.alice, "acme", body), 400, "BAD_REQUEST");
    expect(message).toMatch(expected);
  });

  it("for a tenant id that is not a slug, even from an admin (400 naming tenantId)", async () => {
    const message = await expectRefusal(
      () => install(stack, cast.root, "Acme Corp", { pluginId: "owned" }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toMatch(/(^|; )tenantId: /);
  });

  it("of an unknown plugin (404 naming it)", async () => {
    const message = await expectRefusal(
      () => install(stack, cast.alice, "acme", { pluginId: "no-such-plugin" }),
      404,
      "NOT_FOUND",
    );
    expect(message).toContain("no-such-plugin");
  });

  it("of a tag the plugin does not have (404 naming the tag)", async () => {
    const message = await expectRefusal(
      () => install(stack, cast.alice, "acme", { pluginId: "owned", version: "newest", instanceId: "owned-new" }),
      404,
      "NOT_FOUND",
    );
    expect(message).toContain("newest");
  });

  it("of a range no version satisfies (404)", async () => {
    const message = await expectRefusal(
      () => install(stack, cast.alice, "acme", { pluginId: "owned", version: "^2.0.0", instanceId: "owned-2" }),
      404,
      "NOT_FOUND",
    );
    expect(message).toContain("^2.0.0");
  });

  it("of an instance the tenant already has (409)", async () => {
    const message = await expectRefusal(
      () => install(stack, cast.alice, "acme", { pluginId: "owned" }),
      409,
      "CONFLICT",
    );
    expect(message).toContain("owned");
  });
});

describe("answers every other refusal in the envelope", () => {
  it.each([
    ["GET", "/api/nothing-here"],
    ["PUT", "/api/plugins/upload"],
    ["DELETE", "/api/plugins/owned/bundle"],
    ["GET", "/nothing"],
  ])("%s %s is a 404 naming the route", async (method, path) => {
    const message = await expectRefusal(() => fetch(`${stack.url}${path}`, { method }), 404, "NOT_FOUND");
    expect(message).toContain(path);
  });

  it("does not trust a client's own x-request-id", async () => {
    const response = await fetch(`${stack.url}/api/nothing-here`, { headers: { "x-request-id": "client-chosen" } });
    expect(response.headers.get("x-request-id")).toMatch(UUID);
    const body = (await response.json()) as { error: { requestId: string } };
    expect(body.error.requestId).toBe(response.headers.get("x-request-id"));
  });
});

describe("inputs that once reached Postgres and failed there (500) answer 400", () => {
  it("a search cursor carrying a NUL in its id", async () => {
    const cursor = Buffer.from(JSON.stringify({ id: "a\u0000b" })).toString("base64url");
    await expectTrpcError(trpc(stack).plugins.search.query({ cursor }), "BAD_REQUEST", 400);
  });

  it("a download-stats day before year 1", async () => {
    await expectTrpcError(
      trpc(stack).downloads.stats.query({ pluginId: "owned", from: "0000-01-01" }),
      "BAD_REQUEST",
      400,
    );
  });
});
