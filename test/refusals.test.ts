import { TRPCClientError } from "@trpc/client";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_JWT_SECRET } from "../scripts/local-stack/dev-token";
import {
  expectError,
  install,
  jwtSegment,
  multipartForm,
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

let stack: Stack;
const tokens: Record<"admin" | "alice" | "bob" | "viewer", string> = { admin: "", alice: "", bob: "", viewer: "" };
const ORIGINAL = "export default 'original';\n";
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  stack = await startStack();
  tokens.admin = await stack.token({ sub: "root", role: "admin" });
  tokens.alice = await stack.token({ sub: "alice", role: "editor", tenant: "acme" });
  tokens.bob = await stack.token({ sub: "bob", role: "editor", tenant: "globex" });
  tokens.viewer = await stack.token({ sub: "vera", role: "viewer", tenant: "acme" });
  // What the refusals must leave alone: alice's plugin with one version, installed once for acme.
  await publish(stack, tokens.alice, pluginMetadata({ id: "owned", version: "1.0.0" }), ORIGINAL);
  const installed = await install(stack, tokens.alice, "acme", { pluginId: "owned" });
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

function uploadWithAuthorization(authorization: string | null, headers: Record<string, string> = {}) {
  return fetch(`${stack.url}/api/plugins/upload`, {
    method: "POST",
    body: multipartForm({ metadata: pluginMetadata({ id: "fresh" }) }),
    headers: { ...(authorization === null ? {} : { authorization }), ...headers },
  });
}

describe("refuses an upload from a caller it cannot verify (401)", () => {
  const tokenCases: [string, () => Promise<string>][] = [
    ["signed with the wrong secret", () => stack.token({ sub: "alice", role: "admin" }, { secret: "not-the-secret" })],
    ["expired beyond the 30 s skew", () => stack.token({ sub: "alice", role: "admin" }, { expiresAt: now() - 120 })],
    [
      "not valid before a time beyond the 30 s skew",
      () => stack.token({ sub: "alice", role: "admin" }, { notBefore: now() + 120 }),
    ],
    ["for another audience", () => stack.token({ sub: "alice", role: "admin" }, { audience: "someone-else" })],
    ["from another issuer", () => stack.token({ sub: "alice", role: "admin" }, { issuer: "https://evil.example" })],
    [
      "with alg none",
      async () =>
        `${jwtSegment({ alg: "none", typ: "JWT" })}.${jwtSegment({
          sub: "alice",
          role: "admin",
          iss: "plugin-platform-dev",
          aud: "plugin-platform",
          exp: now() + 3600,
        })}.`,
    ],
    [
      "with alg HS512 under the right secret",
      () =>
        new SignJWT({ role: "admin" })
          .setProtectedHeader({ alg: "HS512" })
          .setSubject("alice")
          .setIssuer("plugin-platform-dev")
          .setAudience("plugin-platform")
          .setExpirationTime("1h")
          .sign(new TextEncoder().encode(DEV_JWT_SECRET)),
    ],
    [
      "without exp",
      () =>
        new SignJWT({ role: "admin" })
          .setProtectedHeader({ alg: "HS256" })
          .setSubject("alice")
          .setIssuer("plugin-platform-dev")
          .setAudience("plugin-platform")
          .sign(new TextEncoder().encode(DEV_JWT_SECRET)),
    ],
    ["claiming the guest role", () => stack.token({ sub: "alice", role: "guest" })],
    ["claiming an unknown role", () => stack.token({ sub: "alice", role: "superuser" })],
    ["with a tenant that is not a slug", () => stack.token({ sub: "alice", role: "admin", tenant: "../Acme" })],
  ];

  it.each(tokenCases)("a bearer token %s", async (_, makeToken) => {
    const token = await makeToken();
    const message = await expectRefusal(() => uploadWithAuthorization(`Bearer ${token}`), 401, "UNAUTHORIZED");
    expect(message).toMatch(/bearer token/i);
  });

  it("no token at all, and says a bearer token is needed", async () => {
    const before = await stack.snapshot();
    const response = await uploadWithAuthorization(null);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(await expectError(response, 401, "UNAUTHORIZED")).toBe("This route needs a bearer token");
    expect(await stack.snapshot()).toEqual(before);
  });

  it.each([
    ["Basic credentials", "Basic YWxpY2U6c2VjcmV0"],
    ["a bare Bearer", "Bearer"],
    ["two tokens", "Bearer a.b.c d.e.f"],
    ["a token that is not a JWT", "Bearer not-a-jwt"],
  ])("an Authorization header with %s", async (_, header) => {
    const message = await expectRefusal(() => uploadWithAuthorization(header), 401, "UNAUTHORIZED");
    expect(message).toMatch(/bearer|authorization/i);
  });

  it("a guest claiming admin through x-user-* headers", async () => {
    await expectRefusal(
      () =>
        uploadWithAuthorization(null, {
          "x-user-role": "admin",
          "x-user-id": "root",
          "x-user-tenant": "acme",
          "x-tenant-id": "acme",
        }),
      401,
      "UNAUTHORIZED",
    );
  });
});

describe("refuses an upload it cannot accept", () => {
  it("from a viewer (403)", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: tokens.viewer, metadata: pluginMetadata({ id: "fresh" }) }),
      403,
      "FORBIDDEN",
    );
    expect(message).toContain("viewer");
  });

  it("from another editor to alice's plugin (403), even for a new version", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: tokens.bob, metadata: pluginMetadata({ id: "owned", version: "2.0.0" }) }),
      403,
      "FORBIDDEN",
    );
    expect(message).toContain("owned");
    const { rows } = await stack.db.query("select owner_id from plugins where id = 'owned'");
    expect(rows).toEqual([{ owner_id: "alice" }]);
    const { rows: tags } = await stack.db.query("select tag, version from dist_tags where plugin_id = 'owned'");
    expect(tags).toEqual([{ tag: "latest", version: "1.0.0" }]);
  });

  it("of 1.0.0 again with different bytes (409), keeping the original bytes", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: tokens.alice, metadata: pluginMetadata({ id: "owned" }), file: "x" }),
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
          headers: { authorization: `Bearer ${tokens.alice}`, "content-type": "application/json" },
          body: JSON.stringify({ metadata: pluginMetadata({ id: "fresh" }), file: "export default 1" }),
        }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    expect(message).toContain("multipart/form-data");
  });

  it.each([
    ["garbage under a boundary", "multipart/form-data; boundary=xyz", "this is not multipart"],
    ["no boundary parameter", "multipart/form-data", "--xyz\r\n\r\n--xyz--"],
    [
      "a part that never ends",
      "multipart/form-data; boundary=xyz",
      '--xyz\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{"id":',
    ],
  ])("with a malformed multipart body: %s (400)", async (_, contentType, body) => {
    const message = await expectRefusal(
      () =>
        fetch(`${stack.url}/api/plugins/upload`, {
          method: "POST",
          headers: { authorization: `Bearer ${tokens.alice}`, "content-type": contentType },
          body,
        }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toMatch(/multipart/i);
  });

  it("without the file field (400 naming file)", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: tokens.alice, metadata: pluginMetadata({ id: "fresh" }), file: null }),
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
          headers: { authorization: `Bearer ${tokens.alice}` },
        }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toMatch(/^file: /);
  });

  it("without the metadata field (400 naming metadata)", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: tokens.alice, metadata: null }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toMatch(/^metadata: /);
  });

  it("with an empty file (400 naming file)", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: tokens.alice, metadata: pluginMetadata({ id: "fresh" }), file: "" }),
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
    ["an unknown extra field", pluginMetadata({ id: "fresh", homepage: "https://x" }), /(^|; )metadata: .*"homepage"/],
  ];

  it.each(fieldCases)("with %s (400 naming the field)", async (_, metadata, expected) => {
    const message = await expectRefusal(() => upload(stack, { token: tokens.alice, metadata }), 400, "BAD_REQUEST");
    expect(message).toMatch(expected);
  });

  it("with a NUL character in the description (400 naming description, not a database error)", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: tokens.alice, metadata: pluginMetadata({ id: "fresh", description: "a\u0000b" }) }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toMatch(/(^|; )metadata\.description: /);
  });

  it("with a lone UTF-16 surrogate in the name (400 naming name), leaving no object behind in R2", async () => {
    const message = await expectRefusal(
      () => upload(stack, { token: tokens.alice, metadata: pluginMetadata({ id: "surrogate", name: "Pay \ud800" }) }),
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
      () => upload(stack, { token: tokens.alice, metadata: pluginMetadata({ id: "A/B", version: "x", category: "" }) }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toMatch(/metadata\.id: /);
    expect(message).toMatch(/metadata\.version: /);
    expect(message).toMatch(/metadata\.category: /);
  });
});

describe("refuses oversized uploads (413)", () => {
  let small: Stack;
  let token: string;

  beforeAll(async () => {
    // The API refuses bodies over 4 KiB; the plugins worker refuses bundles over 1 KiB.
    small = await startStack({
      apiBindings: { MAX_UPLOAD_BYTES: "4096" },
      pluginsBindings: { MAX_BUNDLE_BYTES: "1024" },
    });
    token = await small.token({ sub: "alice", role: "editor" });
  });
  afterAll(() => small?.stop());

  async function expectTooLarge(send: () => Promise<Response>): Promise<string> {
    const before = await small.snapshot();
    const message = await expectError(await send(), 413, "PAYLOAD_TOO_LARGE");
    expect(await small.snapshot()).toEqual(before);
    return message;
  }

  it("a body over MAX_UPLOAD_BYTES that declares its Content-Length", async () => {
    const message = await expectTooLarge(() => upload(small, { token, file: "x".repeat(8000) }));
    expect(message).toContain("4096");
  });

  it("a streamed body over MAX_UPLOAD_BYTES without a Content-Length", async () => {
    const form = multipartForm({ file: "x".repeat(8000) });
    const encoded = new Response(form);
    const stream = present(encoded.body);
    const message = await expectTooLarge(() =>
      fetch(`${small.url}/api/plugins/upload`, {
        method: "POST",
        body: stream,
        headers: { authorization: `Bearer ${token}`, "content-type": present(encoded.headers.get("content-type")) },
        duplex: "half",
      } as RequestInit),
    );
    expect(message).toContain("4096");
  });

  it("a bundle over MAX_BUNDLE_BYTES in a body the API accepts, naming file", async () => {
    const message = await expectTooLarge(() => upload(small, { token, file: "y".repeat(2000) }));
    expect(message).toBe("file: the bundle is 2000 bytes; the limit is 1024");
  });

  it("a /trpc body over MAX_UPLOAD_BYTES, answered in tRPC's error shape", async () => {
    const error = await trpc(small, token)
      .installations.install.mutate({ tenantId: "acme", pluginId: "p", instanceId: "i".repeat(5000) })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).data).toMatchObject({ code: "PAYLOAD_TOO_LARGE", httpStatus: 413 });
  });

  it("still accepts a bundle at exactly MAX_BUNDLE_BYTES", async () => {
    const response = await upload(small, { token, file: "z".repeat(1024) });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { size: number }).size).toBe(1024);
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

  it("for a tenant that is not the token's (404, as for a tenant that does not exist)", async () => {
    const message = await expectRefusal(
      () => install(stack, tokens.alice, "globex", { pluginId: "owned" }),
      404,
      "NOT_FOUND",
    );
    expect(message).toBe("No tenant 'globex'");
  });

  it("from a viewer of the tenant (403)", async () => {
    const message = await expectRefusal(
      () => install(stack, tokens.viewer, "acme", { pluginId: "owned", instanceId: "viewer-copy" }),
      403,
      "FORBIDDEN",
    );
    expect(message).toContain("viewer");
  });

  it("without x-tenant-id (400 naming the header)", async () => {
    const message = await expectRefusal(
      () => install(stack, tokens.alice, null, { pluginId: "owned" }),
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
    const message = await expectRefusal(() => install(stack, tokens.alice, "acme", body), 400, "BAD_REQUEST");
    expect(message).toMatch(expected);
  });

  it("for a tenant id that is not a slug, even from an admin (400 naming tenantId)", async () => {
    const message = await expectRefusal(
      () => install(stack, tokens.admin, "Acme Corp", { pluginId: "owned" }),
      400,
      "BAD_REQUEST",
    );
    expect(message).toMatch(/(^|; )tenantId: /);
  });

  it("of an unknown plugin (404 naming it)", async () => {
    const message = await expectRefusal(
      () => install(stack, tokens.alice, "acme", { pluginId: "no-such-plugin" }),
      404,
      "NOT_FOUND",
    );
    expect(message).toContain("no-such-plugin");
  });

  it("of a tag the plugin does not have (404 naming the tag)", async () => {
    const message = await expectRefusal(
      () => install(stack, tokens.alice, "acme", { pluginId: "owned", version: "newest", instanceId: "owned-new" }),
      404,
      "NOT_FOUND",
    );
    expect(message).toContain("newest");
  });

  it("of a range no version satisfies (404)", async () => {
    const message = await expectRefusal(
      () => install(stack, tokens.alice, "acme", { pluginId: "owned", version: "^2.0.0", instanceId: "owned-2" }),
      404,
      "NOT_FOUND",
    );
    expect(message).toContain("^2.0.0");
  });

  it("of an instance the tenant already has (409)", async () => {
    const message = await expectRefusal(
      () => install(stack, tokens.alice, "acme", { pluginId: "owned" }),
      409,
      "CONFLICT",
    );
    expect(message).toContain("owned");
  });
});

describe("refuses /trpc callers it cannot verify in tRPC's own error shape", () => {
  it.each([
    ["an expired bearer token", async () => stack.token({ sub: "alice", role: "admin" }, { expiresAt: now() - 600 })],
    ["a token signed with the wrong secret", async () => stack.token({ sub: "alice", role: "admin" }, { secret: "x" })],
  ])("%s: a typed client sees UNAUTHORIZED (401), so a frontend knows to sign in again", async (_, makeToken) => {
    const error = await trpc(stack, await makeToken())
      .installations.list.query({ tenantId: "acme" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    const clientError = error as TRPCClientError<never>;
    expect(clientError.data).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401 });
    expect(clientError.message).toBe("The bearer token is invalid or expired");
  });
});

describe("answers every other refusal in the envelope", () => {
  it.each([
    ["GET", "/api/nothing-here"],
    ["GET", "/api/plugins/upload"],
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
