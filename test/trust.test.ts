import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { internalToken, PUBLISH_TOKEN_PREFIX } from "@plugins/schema";
import { TRPCClientError } from "@trpc/client";
import { decodeJwt, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_JWT_AUDIENCE, DEV_JWT_ISSUER, DEV_JWT_SECRET } from "../scripts/local-stack/dev-token";
import { type Cast, mintCast } from "./cast";
import {
  closedPort,
  expectError,
  install,
  internalClaimsFor,
  pluginMetadata,
  publish,
  signInternalToken,
  trpc,
  UUID,
  upload,
} from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let cast: Cast;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  await publish(stack, cast.alice, pluginMetadata({ id: "trusted" }));
  expect((await install(stack, cast.alice, "acme", { pluginId: "trusted" })).status).toBe(201);
});
afterAll(() => stack?.stop());

/** What must never reach a client: stack frames, SQL, driver or file-system details. */
function expectNoInternals(text: string) {
  expect(text).not.toContain("    at ");
  expect(text).not.toMatch(/\bselect\b|\binsert into\b|\bfrom "|Failed query|params:/i);
  expect(text).not.toMatch(/node_modules|\.ts:\d+|\.js:\d+|stack/i);
  expect(text).not.toMatch(/ECONNREFUSED|postgres:\/\//i);
}

describe("the plugins worker, reached directly", () => {
  async function callPlugins(path: string, headers: Record<string, string> = {}) {
    const plugins = await stack.mf.getWorker("plugins");
    const response = await plugins.fetch(`http://x${path}`, { headers });
    return { status: response.status, body: await response.text() };
  }
  const LIST = `/trpc/plugins.search?input=${encodeURIComponent("{}")}`;

  const refused: [string, () => Promise<Record<string, string>>][] = [
    ["no internal token", async () => ({})],
    [
      "forged x-user-* headers only",
      async () => ({ "x-user-id": "root", "x-user-role": "admin", "x-user-tenant": "acme", "x-tenant-id": "acme" }),
    ],
    [
      "an internal token signed with the wrong secret",
      async () => ({ [internalToken.header]: await signInternalToken(undefined, { secret: "wrong-secret" }) }),
    ],
    [
      "an expired internal token",
      async () => ({
        [internalToken.header]: await signInternalToken(undefined, { issuedAt: now() - 600, expiresAt: now() - 570 }),
      }),
    ],
    [
      "an internal token older than its 30 s lifetime, whatever its exp says",
      async () => ({
        [internalToken.header]: await signInternalToken(undefined, { issuedAt: now() - 120, expiresAt: now() + 3600 }),
      }),
    ],
    [
      "an internal token for another audience",
      async () => ({ [internalToken.header]: await signInternalToken(undefined, { audience: "plugin-platform" }) }),
    ],
    [
      "an internal token from another issuer",
      async () => ({ [internalToken.header]: await signInternalToken(undefined, { issuer: "plugin-platform-dev" }) }),
    ],
    [
      "an internal token with alg HS512",
      async () => ({ [internalToken.header]: await signInternalToken(undefined, { algorithm: "HS512" }) }),
    ],
    ["a user's bearer token passed as the internal identity", async () => ({ [internalToken.header]: cast.root })],
    ["a user's bearer token in Authorization", async () => ({ authorization: `Bearer ${cast.root}` })],
    [
      "an internal token signed with the users' JWT secret",
      async () => ({ [internalToken.header]: await signInternalToken(undefined, { secret: DEV_JWT_SECRET }) }),
    ],
    [
      "a correctly signed internal token without the request facts",
      async () => ({ [internalToken.header]: await signInternalToken({ identity: internalClaimsFor().identity }) }),
    ],
    [
      "a correctly signed internal token with an invalid identity",
      async () => ({
        [internalToken.header]: await signInternalToken({
          ...internalClaimsFor(),
          identity: { sub: "x", role: "root" },
        }),
      }),
    ],
  ];

  it.each(refused)("refuses %s (401)", async (_, headers) => {
    const response = await callPlugins(LIST, await headers());
    expect(response.status).toBe(401);
    // An id the worker could not verify is not believed: the body carries one of its own.
    expect(JSON.parse(response.body)).toEqual({
      error: {
        code: "UNAUTHORIZED",
        message: "Missing or invalid internal identity",
        requestId: expect.stringMatching(UUID),
      },
    });
  });

  it("answers refusals outside /trpc in the gateway's envelope, with the verified request id", async () => {
    const plugins = await stack.mf.getWorker("plugins");
    const identified = { [internalToken.header]: await signInternalToken(), "content-type": "application/json" };
    const batch = await plugins.fetch("http://x/downloads", { method: "POST", headers: identified, body: "[]" });
    expect(batch.status).toBe(400);
    expect(await batch.json()).toEqual({
      error: {
        code: "BAD_REQUEST",
        message: "Malformed download batch",
        requestId: internalClaimsFor().request.requestId,
      },
    });
    const redeem = await plugins.fetch("http://x/publish-tokens/redeem", {
      method: "POST",
      headers: identified,
      body: JSON.stringify({ token: `${PUBLISH_TOKEN_PREFIX}${"x".repeat(43)}` }),
    });
    expect(redeem.status).toBe(401);
    expect(await redeem.json()).toMatchObject({
      error: { code: "UNAUTHORIZED", requestId: internalClaimsFor().request.requestId },
    });

    for (const path of ["/bundles/trusted/9.9.9/index.js", "/no-such-route"]) {
      const missing = await plugins.fetch(`http://x${path}`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({
        error: { code: "NOT_FOUND", message: expect.any(String), requestId: expect.stringMatching(UUID) },
      });
    }
  });

  it("answers a freshly minted internal token (200)", async () => {
    const response = await callPlugins(LIST, { [internalToken.header]: await signInternalToken() });
    expect(response.status).toBe(200);
    const body = JSON.parse(response.body) as { result: { data: { items: { id: string }[]; nextCursor: null } } };
    expect(body.result.data.items.map((item) => item.id)).toEqual(["trusted"]);
    expect(body.result.data.nextCursor).toBeNull();
  });

  it("acts as the identity inside the token, not as any header beside it", async () => {
    const input = (tenantId: string) =>
      `/trpc/installations.list?input=${encodeURIComponent(JSON.stringify({ tenantId }))}`;
    const viewerOfAcme = await signInternalToken({
      ...internalClaimsFor({ sub: "vera", role: "viewer", tenant: "acme" }),
    });
    const adminHeaders = { "x-user-role": "admin", "x-user-id": "root" };

    const own = await callPlugins(input("acme"), { [internalToken.header]: viewerOfAcme, ...adminHeaders });
    expect(own.status).toBe(200);
    const other = await callPlugins(input("globex"), { [internalToken.header]: viewerOfAcme, ...adminHeaders });
    expect(other.status).toBe(404);
    expect(JSON.parse(other.body).error.data.code).toBe("NOT_FOUND");

    const guest = await signInternalToken({ ...internalClaimsFor({ sub: "anonymous", role: "guest", tenant: null }) });
    const asGuest = await callPlugins(input("acme"), { [internalToken.header]: guest, ...adminHeaders });
    expect(asGuest.status).toBe(401);
    expect(JSON.parse(asGuest.body).error.data.code).toBe("UNAUTHORIZED");
  });
});

describe("the API worker does not honour identity a client sends", () => {
  it("refuses an upload carrying a valid internal token in x-internal-identity but no bearer (401)", async () => {
    const before = await stack.snapshot();
    const forged = await signInternalToken();
    const response = await upload(stack, {
      metadata: pluginMetadata({ id: "forged" }),
      headers: { [internalToken.header]: forged },
    });
    await expectError(response, 401, "UNAUTHORIZED");
    expect(await stack.snapshot()).toEqual(before);
  });

  it("refuses an install carrying a valid internal token in x-internal-identity but no bearer (401)", async () => {
    const before = await stack.snapshot();
    const forged = await signInternalToken();
    const response = await fetch(`${stack.url}/api/plugins/install`, {
      method: "POST",
      headers: { [internalToken.header]: forged, "x-tenant-id": "acme", "content-type": "application/json" },
      body: JSON.stringify({ pluginId: "trusted", instanceId: "forged" }),
    });
    await expectError(response, 401, "UNAUTHORIZED");
    expect(await stack.snapshot()).toEqual(before);
  });

  it("treats a /trpc call with a forged x-internal-identity and no bearer as a guest", async () => {
    const forged = await signInternalToken();
    const response = await fetch(
      `${stack.url}/trpc/installations.list?input=${encodeURIComponent(JSON.stringify({ tenantId: "acme" }))}`,
      { headers: { [internalToken.header]: forged, "x-user-role": "admin" } },
    );
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { message: string; data: { code: string; requestId: string } } };
    expect(body.error.data.code).toBe("UNAUTHORIZED");
    expect(body.error.message).toBe("Sign in to do this");
    expect(body.error.data.requestId).toBe(response.headers.get("x-request-id"));
  });

  it("replaces a forged x-internal-identity with the bearer's own identity on /trpc", async () => {
    const viewer = cast.vera;
    const forgedAdmin = await signInternalToken();
    const response = await fetch(
      `${stack.url}/trpc/installations.list?input=${encodeURIComponent(JSON.stringify({ tenantId: "globex" }))}`,
      { headers: { authorization: `Bearer ${viewer}`, [internalToken.header]: forgedAdmin } },
    );
    // As the viewer of acme, globex does not exist.
    expect(response.status).toBe(404);
  });

  it("refuses a publish over /trpc with a forged x-internal-identity and leaves no trace", async () => {
    const before = await stack.snapshot();
    const form = new FormData();
    form.set("metadata", JSON.stringify(pluginMetadata({ id: "forged-trpc" })));
    form.set("file", new File(["export default 1;"], "plugin.js"));
    const response = await fetch(`${stack.url}/trpc/plugins.publish`, {
      method: "POST",
      body: form,
      headers: { [internalToken.header]: await signInternalToken() },
    });
    expect(response.status).toBe(401);
    expect(await stack.snapshot()).toEqual(before);
  });

  it("accepts a bearer token that expired within the 30 s clock skew", async () => {
    const token = await stack.token({ sub: "alice", role: "editor", tenant: "acme" }, { expiresAt: now() - 5 });
    const installations = await trpc(stack, token).installations.list.query({ tenantId: "acme" });
    expect(installations.map((row) => row.pluginId)).toEqual(["trusted"]);
  });
});

describe("error responses carry no internals", () => {
  it.each([
    [
      "a validation error",
      async () =>
        upload(stack, {
          token: cast.alice,
          metadata: pluginMetadata({ version: "nope" }),
        }),
    ],
    ["a 404", () => fetch(`${stack.url}/api/plugins/no-such/bundle`)],
    [
      "a tRPC input error",
      () => fetch(`${stack.url}/trpc/plugins.get?input=${encodeURIComponent(JSON.stringify({ pluginId: "../etc" }))}`),
    ],
    ["a tRPC call to an unknown procedure", () => fetch(`${stack.url}/trpc/plugins.drop`)],
    ["a tRPC call with input that is not JSON", () => fetch(`${stack.url}/trpc/plugins.get?input=%7Bnope`)],
  ])("%s", async (_, send) => {
    const response = await send();
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expectNoInternals(await response.text());
  });

  describe("when Postgres is unreachable", () => {
    let down: Stack;
    let admin: string;

    beforeAll(async () => {
      down = await startStack({ databaseUrl: `postgres://postgres:postgres@127.0.0.1:${await closedPort()}/x` });
      admin = (await mintCast(down)).root;
    });
    afterAll(() => down?.stop());

    it.each([
      ["an upload", () => upload(down, { token: admin, metadata: pluginMetadata({ id: "down" }) })],
      ["an install", () => install(down, admin, "acme", { pluginId: "down" })],
      ["a latest redirect", () => fetch(`${down.url}/api/plugins/down/bundle`, { redirect: "manual" })],
    ])("%s answers 503 naming the database, without SQL or a stack", async (_, send) => {
      const response = await send();
      const text = await response.clone().text();
      expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(await expectError(response, 503, "SERVICE_UNAVAILABLE")).toMatch(/database/i);
      expectNoInternals(text);
    });

    it("a tRPC query answers 503 naming the database, without SQL or a stack", async () => {
      const error = await trpc(down)
        .plugins.get.query({ pluginId: "down" })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TRPCClientError);
      const clientError = error as TRPCClientError<never>;
      expect(clientError.message).toMatch(/database/i);
      expect(clientError.data).toMatchObject({ code: "SERVICE_UNAVAILABLE", httpStatus: 503 });
      expectNoInternals(
        JSON.stringify({ message: clientError.message, data: clientError.data, shape: clientError.shape }),
      );
    });
  });

  describe("when the API worker is misconfigured", () => {
    let broken: Stack;

    beforeAll(async () => {
      broken = await startStack({ apiBindings: { JWT_SECRET: "" } });
    });
    afterAll(() => broken?.stop());

    it("answers a bearer request 500 'Internal error' without the configuration detail", async () => {
      const token = (await mintCast(broken)).root;
      const response = await upload(broken, { token });
      const text = await response.clone().text();
      expect(await expectError(response, 500, "INTERNAL_SERVER_ERROR")).toBe("Internal error");
      expect(text).not.toContain("JWT_SECRET");
      expectNoInternals(text);
    });
  });
});

describe("bearer token lifetimes (JWT_MAX_LIFETIME_SECONDS, 24 h unless configured)", () => {
  const HOUR = 3600;
  const DAY = 24 * HOUR;

  /** An HS256 token under the dev secret with exactly these times (no iat unless given). */
  function timed(times: { iat?: number; exp: number }): Promise<string> {
    return new SignJWT({ role: "editor", tenant: "acme", ...times })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject("alice")
      .setIssuer(DEV_JWT_ISSUER)
      .setAudience(DEV_JWT_AUDIENCE)
      .sign(new TextEncoder().encode(DEV_JWT_SECRET));
  }

  function listAs(target: Stack, token: string) {
    return fetch(
      `${target.url}/trpc/installations.list?input=${encodeURIComponent(JSON.stringify({ tenantId: "acme" }))}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
  }

  async function refusedWith(target: Stack, token: string): Promise<string> {
    const response = await listAs(target, token);
    const text = await response.text();
    expect(response.status, text).toBe(401);
    const body = JSON.parse(text) as { error: { message: string; data: { code: string } } };
    expect(body.error.data.code).toBe("UNAUTHORIZED");
    return body.error.message;
  }

  it.each([
    [
      "a 100-year exp",
      () => ({ iat: now(), exp: now() + 100 * 365 * DAY }),
      /lives \d+ s \(exp − iat\), longer than the 86400 s/,
    ],
    ["25 h from iat to exp", () => ({ iat: now() - HOUR, exp: now() + 24 * HOUR }), /lives 90000 s/],
    ["no iat and an exp 25 h away", () => ({ exp: now() + 25 * HOUR }), /expires in \d+ s, longer than the 86400 s/],
    [
      "an iat a month ahead",
      () => ({ iat: now() + 30 * DAY, exp: now() + 30 * DAY + HOUR }),
      /issued \d+ s in the future/,
    ],
    [
      "an iat 60 s ahead (beyond the 30 s skew)",
      () => ({ iat: now() + 60, exp: now() + HOUR }),
      /issued \d+ s in the future/,
    ],
  ])("refuses a token with %s, 401 naming the reason", async (_, times, reason) => {
    const token = await timed(times());
    expect(await refusedWith(stack, token)).toMatch(reason);
    await expectError(
      await upload(stack, { token, metadata: pluginMetadata({ id: "long-lived" }) }),
      401,
      "UNAUTHORIZED",
    );
  });

  it("accepts a token living exactly 24 h, one issued 20 s ahead (within the skew) and one without iat", async () => {
    for (const times of [
      { iat: now(), exp: now() + DAY },
      { iat: now() + 20, exp: now() + HOUR },
      { exp: now() + HOUR },
    ]) {
      expect((await listAs(stack, await timed(times))).status).toBe(200);
    }
  });

  describe("with JWT_MAX_LIFETIME_SECONDS=3600", () => {
    let strict: Stack;
    beforeAll(async () => {
      strict = await startStack({ apiBindings: { JWT_MAX_LIFETIME_SECONDS: "3600" } });
    });
    afterAll(() => strict?.stop());

    it("refuses a 2 h token and accepts a 1 h one", async () => {
      expect(await refusedWith(strict, await timed({ iat: now(), exp: now() + 2 * HOUR }))).toMatch(
        /longer than the 3600 s/,
      );
      expect((await listAs(strict, await timed({ iat: now(), exp: now() + HOUR }))).status).toBe(200);
    });
  });

  describe("pnpm token", () => {
    const run = (...args: string[]) => {
      const env = { ...process.env };
      delete env.JWT_MAX_LIFETIME_SECONDS;
      return promisify(execFile)("node_modules/.bin/tsx", ["scripts/token.ts", "--sub", "alice", ...args], { env });
    };

    it("prints a 12 h token by default, which the platform accepts", async () => {
      const { stdout } = await run("--role", "editor", "--tenant", "acme");
      const claims = decodeJwt(stdout.trim());
      expect(Number(claims.exp) - Number(claims.iat)).toBe(12 * HOUR);
      expect((await listAs(stack, stdout.trim())).status).toBe(200);
    });

    it.each([["25h"], ["30d"], ["100y"]])(
      "refuses --expires %s, beyond the 24 h maximum, with a readable error",
      async (span) => {
        const failed = await run("--expires", span).then(
          () => null,
          (error: { code: number; stderr: string }) => error,
        );
        expect(failed?.code).toBe(2);
        expect(failed?.stderr).toContain(`--expires ${span}`);
        expect(failed?.stderr).toContain("JWT_MAX_LIFETIME_SECONDS");
      },
    );

    it("refuses an --expires it cannot read", async () => {
      const failed = await run("--expires", "soon").then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code).toBe(2);
      expect(failed?.stderr).toContain("--expires");
    });
  });
});
