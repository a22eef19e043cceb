import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import { internalToken } from "@plugins/schema";
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEV_JWT_AUDIENCE, DEV_JWT_ISSUER, DEV_JWT_SECRET } from "../scripts/local-stack/dev-token";
import { pluginFolder, publishFields, tarGz, uploadFields } from "./archive-fixtures";
import {
  bearer,
  expectNothingChanged,
  expectTrpcShape,
  rawGet,
  type TrpcErrorBody,
  trpcGet,
  trpcPost,
} from "./attack-helpers";
import { fanOutSchema, manyPatternsSchema } from "./costly-config-schemas";
import {
  expectError,
  expectTrpcError,
  install,
  internalClaimsFor,
  jwtSegment,
  multipartForm,
  pluginMetadata,
  publish,
  roomInRateLimitWindow,
  signInternalToken,
  trpc,
  upload,
} from "./helpers";
import { type Stack, startStack } from "./stack";
import { HOSTILE_INPUT, SUPER_LINEAR_PATTERNS } from "./super-linear-patterns";

/**
 * Issue 4's attack suite: forged and confused tokens, forged identity headers, cross-tenant
 * and cross-owner writes, traversal, oversized and malformed bodies. Every refusal asserts
 * its status, its code and that no row and no R2 object changed. What refusals.test.ts,
 * trust.test.ts and hardening.test.ts already prove is not repeated here; the property-based
 * fuzzing of the tRPC procedures is in fuzz.test.ts.
 */

let stack: Stack;
const tokens = { admin: "", alice: "", bob: "", vera: "", mallory: "", nomad: "" };
const now = () => Math.floor(Date.now() / 1000);
const OWNED_BYTES = "export default 'owned';\n";
const GUARDED_BYTES = "export default 'guarded';\n";
const MALLORY_BYTES = "export default 'mallory was here';\n";
/** A non-entry file of the archive plugin "multi" (fetching it counts no download). */
const MULTI_CHUNK = 'export const chunk = "lazy 1";\n';

beforeAll(async () => {
  stack = await startStack();
  tokens.admin = await stack.token({ sub: "root", role: "admin" });
  tokens.alice = await stack.token({ sub: "alice", role: "editor", tenant: "acme" });
  tokens.bob = await stack.token({ sub: "bob", role: "editor", tenant: "globex" });
  tokens.vera = await stack.token({ sub: "vera", role: "viewer", tenant: "acme" });
  tokens.mallory = await stack.token({ sub: "mallory", role: "editor", tenant: "acme" });
  tokens.nomad = await stack.token({ sub: "nomad", role: "editor" });

  // alice owns "owned", installed once for acme.
  await publish(stack, tokens.alice, pluginMetadata({ id: "owned", version: "1.0.0" }), OWNED_BYTES);
  expect((await install(stack, tokens.alice, "acme", { pluginId: "owned" })).status).toBe(201);

  // alice owns "guarded"; mallory was a maintainer, published 1.1.0, and was removed.
  await publish(stack, tokens.alice, pluginMetadata({ id: "guarded", version: "1.0.0" }), GUARDED_BYTES);
  await trpc(stack, tokens.alice).maintainers.add.mutate({ pluginId: "guarded", userId: "mallory" });
  await publish(stack, tokens.mallory, pluginMetadata({ id: "guarded", version: "1.1.0" }), MALLORY_BYTES);
  await trpc(stack, tokens.alice).maintainers.remove.mutate({ pluginId: "guarded", userId: "mallory" });
  const { rows } = await stack.db.query("select user_id from plugin_maintainers where plugin_id = 'guarded'");
  expect(rows).toEqual([]);

  // An archive plugin, whose non-entry files can be fetched without counting a download.
  await publishFields(stack, {
    token: tokens.alice,
    file: await tarGz(pluginFolder({ id: "multi", version: "1.0.0" })),
  });
});
afterAll(() => stack?.stop());

// ---------------------------------------------------------------------------------------
// Token helpers

const encoder = new TextEncoder();

/** Registered claims a valid dev token carries, for tokens made by hand. */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    sub: "alice",
    role: "admin",
    tenant: "acme",
    iss: DEV_JWT_ISSUER,
    aud: DEV_JWT_AUDIENCE,
    iat: now(),
    exp: now() + 3600,
    ...overrides,
  };
  for (const [key, value] of Object.entries(base)) if (value === undefined) delete base[key];
  return base;
}

/** A JWT with any header, signed HMAC-SHA256 with `secret` whatever the header's `alg` says. */
function hmacSigned(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string): string {
  const input = `${jwtSegment(header)}.${jwtSegment(payload)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

function hs256(payload: Record<string, unknown>, secret: string = DEV_JWT_SECRET, alg = "HS256"): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: "JWT" }).sign(encoder.encode(secret));
}

function uploadAs(target: Stack, token: string, id = "fresh") {
  return upload(target, { token, metadata: pluginMetadata({ id }) });
}

/**
 * The token is refused 401 on both surfaces, storing nothing: the REST envelope on
 * `/api/plugins/upload`, tRPC's error shape on `/trpc/installations.list`.
 */
async function expectTokenRefused(target: Stack, token: string) {
  await expectNothingChanged(target, async () => {
    await expectError(await uploadAs(target, token), 401, "UNAUTHORIZED");
    const listed = await trpcGet(target, "installations.list", { tenantId: "acme" }, bearer(token));
    const message = await expectTrpcShape(listed, 401, "UNAUTHORIZED", "installations.list");
    expect(message).toMatch(/bearer token/i);
  });
}

// ---------------------------------------------------------------------------------------
// 1. Tokens

describe("1. a bearer token it cannot trust is refused 401 on /api and on /trpc, storing nothing", () => {
  const cases: [string, () => Promise<string>][] = [
    ["unsigned, alg none", async () => `${jwtSegment({ alg: "none", typ: "JWT" })}.${jwtSegment(claims())}.`],
    ["unsigned, alg NONE", async () => `${jwtSegment({ alg: "NONE" })}.${jwtSegment(claims())}.`],
    [
      "alg none carrying a valid HS256 signature",
      async () => {
        const [, payload, signature] = (await hs256(claims())).split(".");
        return `${jwtSegment({ alg: "none" })}.${payload}.${signature}`;
      },
    ],
    ["signed with the wrong HS key", () => hs256(claims(), "not-the-secret")],
    ["signed with an empty HS key", async () => hmacSigned({ alg: "HS256" }, claims(), "")],
    ["expired 40 s ago (beyond the 30 s skew)", () => hs256(claims({ exp: now() - 40 }))],
    ["not valid for another 40 s (beyond the 30 s skew)", () => hs256(claims({ nbf: now() + 40 }))],
    ["for another audience", () => hs256(claims({ aud: "someone-else" }))],
    ["for a list of audiences without ours", () => hs256(claims({ aud: ["a", "b"] }))],
    ["from another issuer", () => hs256(claims({ iss: "https://evil.example" }))],
    ["without exp", () => hs256(claims({ exp: undefined }))],
    ["with a string exp", () => hs256(claims({ exp: String(now() + 3600) }))],
    ["without sub", () => hs256(claims({ sub: undefined }))],
    ["with an empty sub", () => hs256(claims({ sub: "" }))],
    ["with a numeric sub", () => hs256(claims({ sub: 42 }))],
    ["with an invalid role value", () => hs256(claims({ role: "superuser" }))],
    ["with the role 'Admin'", () => hs256(claims({ role: "Admin" }))],
    ["with the role 'admin ' (trailing space)", () => hs256(claims({ role: "admin " }))],
    ["with the role as a list", () => hs256(claims({ role: ["admin"] }))],
    ["claiming the guest role", () => hs256(claims({ role: "guest" }))],
    ["with a tenant list", () => hs256(claims({ tenant: ["acme", "globex"] }))],
    ["with a NUL in sub", () => hs256(claims({ sub: "alice\u0000" }))],
    ["with alg HS384 under the right secret", () => hs256(claims(), DEV_JWT_SECRET, "HS384")],
    [
      "with header alg RS256 but an HMAC signature under the HS secret",
      async () => hmacSigned({ alg: "RS256", typ: "JWT" }, claims(), DEV_JWT_SECRET),
    ],
    [
      "whose payload was edited from viewer to admin after signing",
      async () => {
        const [header, , signature] = (await hs256(claims({ sub: "vera", role: "viewer" }))).split(".");
        return `${header}.${jwtSegment(claims({ sub: "vera", role: "admin" }))}.${signature}`;
      },
    ],
    [
      "with a critical header parameter nobody understands",
      async () => hmacSigned({ alg: "HS256", crit: ["x-evil"], "x-evil": true }, claims(), DEV_JWT_SECRET),
    ],
    ["with the HS256 signature stripped", async () => `${(await hs256(claims())).split(".").slice(0, 2).join(".")}.`],
  ];

  it.each(cases)("a token %s", async (_, makeToken) => {
    await expectTokenRefused(stack, await makeToken());
  });

  it("while the same claims, correctly signed, are accepted (the refusals are about the tokens)", async () => {
    const listed = await trpcGet(stack, "installations.list", { tenantId: "acme" }, bearer(await hs256(claims())));
    expect(listed.status, await listed.clone().text()).toBe(200);
  });
});

describe("1. HS/RS confusion against a JWKS served over HTTP", () => {
  let jwks: Server;
  let withSecret: Stack;
  let jwksOnly: Stack;
  const hits: Record<string, number> = {};
  let rsaPrivate: CryptoKey;
  let rsaPublicPem: string;
  let rsaPublicJwk: JWK;
  let otherRsaPrivate: CryptoKey;
  let attackerPrivate: CryptoKey;
  let attackerJwk: JWK;
  let esPrivate: CryptoKey;
  let jwksOrigin: string;

  function rs256(privateKey: CryptoKey, header: Record<string, unknown> = { kid: "rsa-1" }, overrides = {}) {
    return new SignJWT(claims({ sub: "vera", role: "viewer", tenant: "acme", ...overrides }))
      .setProtectedHeader({ alg: "RS256", typ: "JWT", ...header })
      .sign(privateKey);
  }

  beforeAll(async () => {
    const rsa = await generateKeyPair("RS256", { extractable: true });
    rsaPrivate = rsa.privateKey;
    rsaPublicPem = await exportSPKI(rsa.publicKey);
    rsaPublicJwk = { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" };
    otherRsaPrivate = (await generateKeyPair("RS256")).privateKey;
    const attacker = await generateKeyPair("RS256", { extractable: true });
    attackerPrivate = attacker.privateKey;
    attackerJwk = { ...(await exportJWK(attacker.publicKey)), kid: "attacker-1", alg: "RS256", use: "sig" };
    esPrivate = (await generateKeyPair("ES256")).privateKey;

    // The identity provider's key set, and an attacker's beside it that nothing should ever fetch.
    jwks = createServer((request, response) => {
      const path = request.url ?? "";
      hits[path] = (hits[path] ?? 0) + 1;
      const keys = path === "/jwks.json" ? [rsaPublicJwk] : path === "/attacker.json" ? [attackerJwk] : null;
      response.writeHead(keys ? 200 : 404, { "content-type": "application/json", connection: "close" });
      response.end(JSON.stringify(keys ? { keys } : { error: "not found" }));
    });
    jwks.requestTimeout = 5_000;
    jwks.headersTimeout = 5_000;
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const address = jwks.address();
    if (!address || typeof address === "string") throw new Error("the JWKS server has no port");
    jwksOrigin = `http://127.0.0.1:${address.port}`;

    withSecret = await startStack({ apiBindings: { JWKS_URL: `${jwksOrigin}/jwks.json`, JWT_SECRET: DEV_JWT_SECRET } });
    jwksOnly = await startStack({ apiBindings: { JWKS_URL: `${jwksOrigin}/jwks.json`, JWT_SECRET: "" } });
  });
  afterAll(async () => {
    await withSecret?.stop();
    await jwksOnly?.stop();
    jwks?.closeAllConnections();
    await new Promise<void>((resolve) => (jwks ? jwks.close(() => resolve()) : resolve()));
  });

  describe.each([
    ["with JWT_SECRET and JWKS_URL", () => withSecret],
    ["with JWKS_URL only", () => jwksOnly],
  ])("%s", (_, target) => {
    it("(a) accepts an RS256 token signed by the key in the set: a viewer lists its own tenant (200)", async () => {
      const token = await rs256(rsaPrivate);
      expect(await trpc(target(), token).installations.list.query({ tenantId: "acme" })).toEqual([]);
      // The identity is the token's: the same viewer is still kept out of another tenant and out of publishing.
      await expectTrpcError(trpc(target(), token).installations.list.query({ tenantId: "globex" }), "NOT_FOUND", 404);
      await expectNothingChanged(target(), async () => {
        await expectError(await uploadAs(target(), token), 403, "FORBIDDEN");
      });
      expect(hits["/jwks.json"]).toBeGreaterThan(0);
    });

    it("(a) accepts an RS256 token without a kid, the set holding one key", async () => {
      const token = await rs256(rsaPrivate, {});
      expect(await trpc(target(), token).installations.list.query({ tenantId: "acme" })).toEqual([]);
    });

    const refused: [string, () => Promise<string>][] = [
      [
        "(b) an HS256 token whose HMAC key is the PEM text of the RSA public key",
        () => hs256(claims({ sub: "vera", role: "admin" }), rsaPublicPem),
      ],
      [
        "(b) an HS256 token whose HMAC key is the JWK text of the RSA public key",
        () => hs256(claims({ sub: "vera", role: "admin" }), JSON.stringify(rsaPublicJwk)),
      ],
      [
        "(b) an HS256 token naming the RSA key's kid, keyed with its PEM",
        async () => hmacSigned({ alg: "HS256", kid: "rsa-1" }, claims({ role: "admin" }), rsaPublicPem),
      ],
      [
        "(b) a token with header alg RS256 but an HMAC signature keyed with the PEM",
        async () => hmacSigned({ alg: "RS256", kid: "rsa-1" }, claims({ role: "admin" }), rsaPublicPem),
      ],
      [
        "(b) a token with header alg RS256 but an HMAC signature under the HS secret",
        async () => hmacSigned({ alg: "RS256", kid: "rsa-1" }, claims({ role: "admin" }), DEV_JWT_SECRET),
      ],
      ["(c) an RS256 token signed by another private key under the set's kid", () => rs256(otherRsaPrivate)],
      ["(c) an RS256 token signed by another private key without a kid", () => rs256(otherRsaPrivate, {})],
      [
        "(d) an ES256 token from a kid that is not in the set",
        () =>
          new SignJWT(claims({ sub: "vera", role: "viewer" }))
            .setProtectedHeader({ alg: "ES256", kid: "es-unknown" })
            .sign(esPrivate),
      ],
      [
        "(e) an RS256 token carrying its own signing key in the jwk header",
        () => rs256(attackerPrivate, { jwk: { ...attackerJwk, kid: undefined } }),
      ],
      [
        "(e) an RS256 token pointing jku at the attacker's key set",
        () => rs256(attackerPrivate, { kid: "attacker-1", jku: `${jwksOrigin}/attacker.json` }),
      ],
      [
        "(e) an RS256 token from the right key but for another audience",
        () => rs256(rsaPrivate, { kid: "rsa-1" }, { aud: "someone-else" }),
      ],
      [
        "(e) an RS256 token from the right key, expired",
        () => rs256(rsaPrivate, { kid: "rsa-1" }, { exp: now() - 60 }),
      ],
      [
        "(f) an RS256 token from the right key living 100 years (over JWT_MAX_LIFETIME_SECONDS)",
        () => rs256(rsaPrivate, { kid: "rsa-1" }, { exp: now() + 100 * 365 * 86_400 }),
      ],
      [
        "(f) an RS256 token from the right key issued a month from now",
        () => rs256(rsaPrivate, { kid: "rsa-1" }, { iat: now() + 30 * 86_400, exp: now() + 30 * 86_400 + 3600 }),
      ],
    ];

    it.each(refused)("refuses %s", async (_case, makeToken) => {
      await expectTokenRefused(target(), await makeToken());
      expect(hits["/attacker.json"]).toBeUndefined();
    });
  });

  it("with JWKS_URL only, refuses an HS256 token even under the dev secret (no shared secret is configured)", async () => {
    await expectTokenRefused(jwksOnly, await hs256(claims({ sub: "vera", role: "viewer" })));
  });

  it("with JWT_SECRET and JWKS_URL, still accepts an HS256 token under the secret", async () => {
    const token = await hs256(claims({ sub: "vera", role: "viewer" }));
    expect(await trpc(withSecret, token).installations.list.query({ tenantId: "acme" })).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// 2. Forged identity

describe("2. identity a client sends itself grants nothing on /trpc mutations", () => {
  const mutations: [string, Record<string, unknown>][] = [
    ["installations.install", { tenantId: "acme", pluginId: "owned", instanceId: "forged" }],
    ["maintainers.add", { pluginId: "owned", userId: "mallory" }],
    ["maintainers.remove", { pluginId: "guarded", userId: "alice" }],
    ["versions.yank", { pluginId: "owned", version: "1.0.0" }],
    ["versions.deprecate", { pluginId: "owned", version: "1.0.0", message: "forged" }],
    ["versions.block", { pluginId: "owned", version: "1.0.0", reason: "forged" }],
    ["tags.set", { pluginId: "owned", tag: "beta", version: "1.0.0" }],
    ["tags.remove", { pluginId: "owned", tag: "latest" }],
  ];

  /** A validly signed internal token for an admin, plus every x-user-* header a proxy might set. */
  async function forgedAdmin(): Promise<Record<string, string>> {
    return {
      [internalToken.header]: await signInternalToken(),
      "x-user-id": "root",
      "x-user-role": "admin",
      "x-user-tenant": "acme",
      "x-tenant-id": "acme",
    };
  }

  it.each(mutations)("%s without a bearer token: 401 'Sign in'", async (path, input) => {
    await expectNothingChanged(stack, async () => {
      const response = await trpcPost(stack, path, input, await forgedAdmin());
      expect(await expectTrpcShape(response, 401, "UNAUTHORIZED", path)).toBe("Sign in to do this");
    });
  });

  it.each(mutations)("%s from a viewer's bearer token: 403", async (path, input) => {
    await expectNothingChanged(stack, async () => {
      const response = await trpcPost(stack, path, input, { ...(await forgedAdmin()), ...bearer(tokens.vera) });
      expect(await expectTrpcShape(response, 403, "FORBIDDEN", path)).toContain("viewer");
    });
  });

  it.each(mutations)("%s from bob's bearer token dressed up as alice: refused as bob", async (path, input) => {
    const asAlice = {
      [internalToken.header]: await signInternalToken({
        ...internalClaimsFor({ sub: "alice", role: "editor", tenant: "acme" }),
      }),
      "x-user-id": "alice",
      "x-user-tenant": "acme",
      "x-tenant-id": "acme",
    };
    await expectNothingChanged(stack, async () => {
      const response = await trpcPost(stack, path, input, { ...asAlice, ...bearer(tokens.bob) });
      // Bob is of globex: acme, the tenant he installs into, does not exist for him.
      if (path === "installations.install") await expectTrpcShape(response, 404, "NOT_FOUND", path);
      else await expectTrpcShape(response, 403, "FORBIDDEN", path);
    });
  });

  it("a REST upload and install by bob dressed up as alice: 403 for her plugin, 404 for her tenant", async () => {
    const asAlice = {
      [internalToken.header]: await signInternalToken({
        ...internalClaimsFor({ sub: "alice", role: "editor", tenant: "acme" }),
      }),
      "x-user-id": "alice",
      "x-user-role": "admin",
      "x-user-tenant": "acme",
    };
    await expectNothingChanged(stack, async () => {
      const uploaded = await upload(stack, {
        token: tokens.bob,
        metadata: pluginMetadata({ id: "owned", version: "9.0.0" }),
        headers: asAlice,
      });
      expect(await expectError(uploaded, 403, "FORBIDDEN")).toContain("owned");
      const installed = await fetch(`${stack.url}/api/plugins/install`, {
        method: "POST",
        headers: { ...asAlice, ...bearer(tokens.bob), "x-tenant-id": "acme", "content-type": "application/json" },
        body: JSON.stringify({ pluginId: "owned", instanceId: "forged" }),
      });
      expect(await expectError(installed, 404, "NOT_FOUND")).toBe("No tenant 'acme'");
    });
  });

  it("a REST install by alice for globex claiming x-user-role: admin: 404, as for no such tenant", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await fetch(`${stack.url}/api/plugins/install`, {
        method: "POST",
        headers: {
          ...bearer(tokens.alice),
          "x-user-role": "admin",
          "x-user-tenant": "globex",
          "x-tenant-id": "globex",
          "content-type": "application/json",
        },
        body: JSON.stringify({ pluginId: "owned" }),
      });
      expect(await expectError(response, 404, "NOT_FOUND")).toBe("No tenant 'globex'");
    });
  });

  it("a viewer's bearer token carrying internal-token claims (identity, grant) is read as that viewer", async () => {
    const token = await hs256(
      claims({
        sub: "vera",
        role: "viewer",
        tenant: "acme",
        identity: { sub: "root", role: "admin", tenant: null, email: null },
        grant: { tokenId: "00000000-0000-4000-8000-000000000000", plugins: ["*"], actions: ["publish"] },
        request: { requestId: "forged", ip: null, userAgent: null, publicOrigin: "http://evil.example" },
      }),
    );
    await expectNothingChanged(stack, async () => {
      await expectTrpcShape(
        await trpcGet(stack, "installations.list", { tenantId: "globex" }, bearer(token)),
        404,
        "NOT_FOUND",
        "installations.list",
      );
      await expectTrpcShape(
        await trpcPost(stack, "versions.yank", { pluginId: "owned", version: "1.0.0" }, bearer(token)),
        403,
        "FORBIDDEN",
        "versions.yank",
      );
      await expectError(await uploadAs(stack, token), 403, "FORBIDDEN");
    });
  });

  it("a mutation reached by GET (a link, an <img>), alone or hidden in a batch: 405, nothing changed", async () => {
    const yank = { pluginId: "owned", version: "1.0.0" };
    await expectNothingChanged(stack, async () => {
      const alone = await trpcGet(stack, "versions.yank", yank, bearer(tokens.admin));
      await expectTrpcShape(alone, 405, "METHOD_NOT_SUPPORTED", "versions.yank");
      // Hidden behind a query in a batch: tRPC refuses to mix procedure types in one call.
      const mixed = encodeURIComponent(JSON.stringify({ 0: { pluginId: "owned" }, 1: yank }));
      const hidden = await fetch(`${stack.url}/trpc/plugins.get,versions.yank?batch=1&input=${mixed}`, {
        headers: bearer(tokens.admin),
      });
      const hiddenText = await hidden.text();
      expect(hidden.status, hiddenText).toBe(400);
      expect((JSON.parse(hiddenText) as TrpcErrorBody).error.data.code).toBe("BAD_REQUEST");
      // A batch of mutations only, by GET.
      const only = encodeURIComponent(JSON.stringify({ 0: yank, 1: { pluginId: "owned", tag: "latest" } }));
      const batch = await fetch(`${stack.url}/trpc/versions.yank,tags.remove?batch=1&input=${only}`, {
        headers: bearer(tokens.admin),
      });
      const text = await batch.text();
      expect(batch.status, text).toBe(405);
      const answers = JSON.parse(text) as TrpcErrorBody[];
      expect(answers.map((answer) => answer.error.data.code)).toEqual(["METHOD_NOT_SUPPORTED", "METHOD_NOT_SUPPORTED"]);
    });
  });

  it("an internal token sent as the bearer token: 401 (another issuer and audience)", async () => {
    await expectTokenRefused(stack, await signInternalToken());
  });

  it("an internal token signed with the users' JWT secret sent as the bearer token: 401", async () => {
    await expectTokenRefused(stack, await signInternalToken(undefined, { secret: DEV_JWT_SECRET }));
  });
});

// ---------------------------------------------------------------------------------------
// 3. Cross-tenant

describe("3. a tenant's viewer or editor cannot read or install for another tenant", () => {
  it("a viewer of acme installing for globex over REST: 404, as for a tenant that does not exist", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await install(stack, tokens.vera, "globex", { pluginId: "owned", instanceId: "cross" });
      expect(await expectError(response, 404, "NOT_FOUND")).toBe("No tenant 'globex'");
    });
  });

  it.each(["ACME", "acme,globex", "acme globex"])(
    "an editor of acme installing with x-tenant-id %j over REST: 400 naming tenantId, as to an admin",
    async (tenant) => {
      await expectNothingChanged(stack, async () => {
        for (const token of [tokens.alice, tokens.admin]) {
          const response = await install(stack, token, tenant, { pluginId: "owned", instanceId: "cross" });
          expect(await expectError(response, 400, "BAD_REQUEST")).toMatch(/^tenantId: /);
        }
      });
    },
  );

  it.each([
    ["vera (viewer of acme)", "vera"],
    ["alice (editor of acme)", "alice"],
    ["nomad (an editor of no tenant)", "nomad"],
  ] as const)("%s listing globex over tRPC: NOT_FOUND, as for a tenant that does not exist", async (_, who) => {
    await expectNothingChanged(stack, async () => {
      const message = await expectTrpcError(
        trpc(stack, tokens[who]).installations.list.query({ tenantId: "globex" }),
        "NOT_FOUND",
        404,
      );
      expect(message).toContain("globex");
    });
  });

  it("an editor of acme installing for globex over tRPC: NOT_FOUND", async () => {
    await expectNothingChanged(stack, async () => {
      await expectTrpcError(
        trpc(stack, tokens.alice).installations.install.mutate({
          tenantId: "globex",
          pluginId: "owned",
          instanceId: "cross",
        }),
        "NOT_FOUND",
        404,
      );
    });
  });

  it("an editor of no tenant installing for acme: NOT_FOUND over REST and tRPC alike", async () => {
    await expectNothingChanged(stack, async () => {
      expect(
        await expectError(
          await install(stack, tokens.nomad, "acme", { pluginId: "owned", instanceId: "x" }),
          404,
          "NOT_FOUND",
        ),
      ).toBe("No tenant 'acme'");
      await expectTrpcError(
        trpc(stack, tokens.nomad).installations.install.mutate({
          tenantId: "acme",
          pluginId: "owned",
          instanceId: "x",
        }),
        "NOT_FOUND",
        404,
      );
    });
  });

  it("a tenantId in the REST body cannot redirect an install away from x-tenant-id", async () => {
    const response = await install(stack, tokens.alice, "acme", {
      pluginId: "owned",
      instanceId: "smuggled",
      tenantId: "globex",
    });
    expect(response.status, await response.clone().text()).toBe(201);
    expect(((await response.json()) as { tenantId: string }).tenantId).toBe("acme");
    const { rows } = await stack.db.query("select tenant_id from installations where instance_id = 'smuggled'");
    expect(rows).toEqual([{ tenant_id: "acme" }]);
  });

  it("an admin may install and list for globex", async () => {
    const response = await install(stack, tokens.admin, "globex", { pluginId: "owned", instanceId: "by-admin" });
    expect(response.status, await response.clone().text()).toBe(201);
    const listed = await trpc(stack, tokens.admin).installations.list.query({ tenantId: "globex" });
    expect(listed.map((row) => [row.instanceId, row.installedBy])).toEqual([["by-admin", "root"]]);
    const viaTrpc = await trpc(stack, tokens.admin).installations.install.mutate({
      tenantId: "initech",
      pluginId: "owned",
    });
    expect(viaTrpc).toMatchObject({ tenantId: "initech", pluginId: "owned", installedBy: "root" });
  });
});

// ---------------------------------------------------------------------------------------
// 4. Someone else's plugin

describe("4. publishing to or managing someone else's plugin", () => {
  function publishOverTrpc(target: Stack, token: string, metadata: Record<string, unknown>, file?: string) {
    return fetch(`${target.url}/trpc/plugins.publish`, {
      method: "POST",
      body: multipartForm({ metadata, file }),
      headers: bearer(token),
    });
  }

  it("bob, never a maintainer, publishing to alice's plugin over /trpc: FORBIDDEN", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await publishOverTrpc(stack, tokens.bob, pluginMetadata({ id: "owned", version: "2.0.0" }));
      expect(await expectTrpcShape(response, 403, "FORBIDDEN", "plugins.publish")).toContain("owned");
    });
  });

  it("bob publishing alice's plugin id inside an archive: 403", async () => {
    await expectNothingChanged(stack, async () => {
      const file = await tarGz(pluginFolder({ id: "owned", version: "3.0.0" }));
      await expectError(await uploadFields(stack, { token: tokens.bob, file }), 403, "FORBIDDEN");
    });
  });

  describe("mallory, a maintainer of guarded until alice removed her", () => {
    it("may not publish a new version over REST (403)", async () => {
      await expectNothingChanged(stack, async () => {
        const response = await upload(stack, {
          token: tokens.mallory,
          metadata: pluginMetadata({ id: "guarded", version: "2.0.0" }),
        });
        expect(await expectError(response, 403, "FORBIDDEN")).toContain("guarded");
      });
    });

    it("may not re-publish the very version she published, with the same bytes (403, not 200)", async () => {
      await expectNothingChanged(stack, async () => {
        const response = await upload(stack, {
          token: tokens.mallory,
          metadata: pluginMetadata({ id: "guarded", version: "1.1.0" }),
          file: MALLORY_BYTES,
        });
        await expectError(response, 403, "FORBIDDEN");
      });
    });

    it("may not publish over /trpc (FORBIDDEN)", async () => {
      await expectNothingChanged(stack, async () => {
        const response = await publishOverTrpc(
          stack,
          tokens.mallory,
          pluginMetadata({ id: "guarded", version: "2.0.1" }),
        );
        await expectTrpcShape(response, 403, "FORBIDDEN", "plugins.publish");
      });
    });

    const management: [string, Record<string, unknown>][] = [
      ["versions.yank", { pluginId: "guarded", version: "1.1.0", reason: "mine" }],
      ["versions.deprecate", { pluginId: "guarded", version: "1.0.0", message: "use something else" }],
      ["tags.set", { pluginId: "guarded", tag: "latest", version: "1.1.0" }],
      ["tags.remove", { pluginId: "guarded", tag: "latest" }],
      ["maintainers.add", { pluginId: "guarded", userId: "mallory" }],
      ["maintainers.remove", { pluginId: "guarded", userId: "alice" }],
    ];

    it.each(management)("may not call %s on it (FORBIDDEN)", async (path, input) => {
      await expectNothingChanged(stack, async () => {
        const response = await trpcPost(stack, path, input, bearer(tokens.mallory));
        expect(await expectTrpcShape(response, 403, "FORBIDDEN", path)).toContain("guarded");
      });
    });
  });

  it.each([
    ["Alice", "uppercase"],
    ["alice ", "a trailing space"],
    ["\u0430lice", "a Cyrillic а"],
    ["alice\u200b", "a zero-width space"],
    ["ａｌｉｃｅ", "fullwidth letters"],
  ])("a sub %j (alice with %s) is not alice: 403 on her plugin", async (sub) => {
    const token = await stack.token({ sub, role: "editor", tenant: "acme" });
    await expectNothingChanged(stack, async () => {
      const response = await upload(stack, { token, metadata: pluginMetadata({ id: "guarded", version: "3.0.0" }) });
      await expectError(response, 403, "FORBIDDEN");
      await expectTrpcShape(
        await trpcPost(stack, "versions.yank", { pluginId: "guarded", version: "1.0.0" }, bearer(token)),
        403,
        "FORBIDDEN",
        "versions.yank",
      );
    });
  });
});

// ---------------------------------------------------------------------------------------
// 5. Traversal

describe("5. traversal and look-alikes in plugin ids", () => {
  const ids: [string, string][] = [
    ["../x", "a parent segment"],
    ["a/b", "a slash"],
    ["a\\b", "a backslash"],
    ["%2e%2e", "encoded dots"],
    ["..%2f", "dots and an encoded slash"],
    ["%2e%2e%2fowned", "an encoded traversal"],
    [".", "a single dot"],
    [".owned", "a leading dot"],
    ["owned.", "a trailing dot"],
    ["-owned", "a leading dash"],
    ["own--ed", "a doubled separator"],
    ["~blocked", "the blocked-marker prefix"],
    [" owned", "a leading space"],
    ["owned\u0000", "a NUL"],
    ["owned\u200b", "a zero-width space"],
    ["\u043ewned", "a Cyrillic о"],
    ["ｏｗｎｅｄ", "fullwidth letters"],
    ["\uff0e\uff0e", "fullwidth dots"],
    ["owned\u2024x", "a one-dot leader"],
    ["ﬁle", "a ligature"],
    ["a".repeat(65), "65 characters"],
    [`${"ab-".repeat(21)}ab`, "65 characters with separators"],
    ["a".repeat(1000), "1000 characters"],
  ];

  it.each(ids)("refuses the id %j (%s) 400 naming id on upload, install and tRPC", async (id) => {
    await expectNothingChanged(stack, async () => {
      const uploaded = await upload(stack, { token: tokens.alice, metadata: pluginMetadata({ id }) });
      expect(await expectError(uploaded, 400, "BAD_REQUEST")).toMatch(/(^|; )metadata\.id: /);
      const installed = await install(stack, tokens.alice, "acme", { pluginId: id, instanceId: "t" });
      expect(await expectError(installed, 400, "BAD_REQUEST")).toMatch(/(^|; )pluginId: /);
      const got = await trpcGet(stack, "plugins.get", { pluginId: id });
      expect(await expectTrpcShape(got, 400, "BAD_REQUEST", "plugins.get")).toMatch(/(^|; )pluginId: /);
    });
  });

  it("refuses a traversal id inside an archive's plugin.json (400 naming id)", async () => {
    await expectNothingChanged(stack, async () => {
      const file = await tarGz(pluginFolder({ id: "../owned", version: "1.0.0" }));
      const response = await uploadFields(stack, { token: tokens.alice, file });
      expect(await expectError(response, 400, "BAD_REQUEST")).toMatch(/(^|; )plugin\.json\.id: /);
    });
  });
});

describe("5. traversal in bundle URLs, sent byte for byte", () => {
  const paths = [
    "/plugins/bundles/owned/v1.0.0/..%2f..%2fguarded%2fv1.1.0%2fbundle.js",
    "/plugins/bundles/owned/v1.0.0/..%2F..%2Fguarded%2F1.1.0%2Fbundle.js",
    "/plugins/bundles/owned/v1.0.0/..%5c..%5cguarded%5c1.1.0%5cbundle.js",
    "/plugins/bundles/owned/v1.0.0/%c0%ae%c0%ae/%c0%ae%c0%ae/guarded/1.1.0/bundle.js",
    "/plugins/bundles/owned/v1.0.0/%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afguarded%c0%af1.1.0%c0%afbundle.js",
    "/plugins/bundles/owned/v1.0.0/%ef%bc%8e%ef%bc%8e/%ef%bc%8e%ef%bc%8e/guarded/1.1.0/bundle.js",
    "/plugins/bundles/owned/v1.0.0%2f..%2f..%2fguarded%2fv1.1.0/bundle.js",
    "/plugins/bundles/owned/v..%2f..%2fguarded%2f1.1.0/bundle.js",
    "/plugins/bundles/%2e%2e/v1.0.0/guarded/1.1.0/bundle.js",
    "/plugins/bundles/owned%2f..%2fguarded/v1.1.0/bundle.js",
    "/plugins/bundles/owned/v1.0.0/bundle.js%00.png",
    "/plugins/bundles/owned/v1.0.0/bundle.js%00",
    "/plugins/bundles/owned/v1.0.0//bundle.js",
    "/plugins/bundles/owned/v1.0.0/%2fbundle.js",
    "/plugins/bundles/~blocked/v1.0.0/owned",
    "/plugins/bundles/%7eblocked/v1.0.0/owned",
    "/plugins/bundles/owned/v1.0.0/..%2f..%2f~blocked%2fowned%2f1.0.0",
    "/plugins/bundles/owned@latest/..%5cguarded%5cbundle.js",
    "/plugins/bundles/owned@latest/%252e%252e%252fguarded%252fbundle.js",
    "/plugins/bundles/owned@latest/%c0%ae%c0%ae/guarded/bundle.js",
    "/plugins/bundles/owned@latest/bundle.js%00",
  ];

  it.each(paths)("answers 404 to %s, never another plugin's bytes", async (path) => {
    await expectNothingChanged(stack, async () => {
      const response = await rawGet(stack, path);
      expect(response.status, response.body.toString()).toBe(404);
      const body = JSON.parse(response.body.toString()) as { error: { code: string } };
      expect(body.error.code).toBe("NOT_FOUND");
      expect(response.body.toString()).not.toContain("mallory");
      expect(response.body.toString()).not.toContain("guarded'");
    });
  });

  it.each([
    "/plugins/bundles/owned/v1.0.0/..\\..\\multi\\v1.0.0\\chunks\\a.js",
    "/plugins/bundles/owned/v1.0.0/../../multi/v1.0.0/chunks/a.js",
    "/plugins/bundles/owned/v1.0.0/%2e%2e/%2E%2E/multi/v1.0.0/chunks/a.js",
    "/plugins/bundles/multi/v1.0.0/chunks/%2e/a.js",
  ])("resolves raw %s as any URL parser does, to multi's own public URL, not to a file of owned", async (path) => {
    // Browsers resolve `..`, `%2e` and `\\` before the request leaves, so this reaches nothing a
    // plain GET of multi's public URL would not. (A non-entry file: no download is counted.)
    const response = await rawGet(stack, path);
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(MULTI_CHUNK);
    const canonical = await fetch(`${stack.url}/plugins/bundles/multi/v1.0.0/chunks/a.js`);
    expect(await canonical.text()).toBe(MULTI_CHUNK);
  });

  it("answers an encoded traversal in /api/plugins/:id/bundle with 404", async () => {
    await expectNothingChanged(stack, async () => {
      for (const path of ["/api/plugins/..%2fguarded/bundle", "/api/plugins/%2e%2e%2fguarded/bundle"]) {
        const response = await rawGet(stack, path);
        expect(response.status, path).toBe(404);
        expect((JSON.parse(response.body.toString()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
      }
    });
  });
});

// ---------------------------------------------------------------------------------------
// 6. Oversized and malformed bodies

describe("6. bodies over MAX_UPLOAD_BYTES (2048) are refused 413", () => {
  let small: Stack;
  let admin: string;
  const LIMIT = 2048;

  beforeAll(async () => {
    small = await startStack({ apiBindings: { MAX_UPLOAD_BYTES: String(LIMIT) } });
    admin = await small.token({ sub: "root", role: "admin" });
    await publish(small, admin, pluginMetadata({ id: "tiny" }), "export default 1;");
  });
  afterAll(() => small?.stop());

  /** A valid install body padded with an unknown field (which validation strips) to `bytes` bytes. */
  function paddedInstall(bytes: number, fields: Record<string, unknown>): string {
    const base = JSON.stringify({ ...fields, pad: "" });
    const body = JSON.stringify({ ...fields, pad: "x".repeat(bytes - base.length) });
    expect(body.length).toBe(bytes);
    return body;
  }

  function streamed(text: string): ReadableStream<Uint8Array> {
    const bytes = new TextEncoder().encode(text);
    return new ReadableStream({
      start(controller) {
        for (let start = 0; start < bytes.length; start += 512) controller.enqueue(bytes.slice(start, start + 512));
        controller.close();
      },
    });
  }

  function postTrpc(body: string | ReadableStream<Uint8Array>) {
    return fetch(`${small.url}/trpc/installations.install`, {
      method: "POST",
      headers: { ...bearer(admin), "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
  }

  function postInstall(body: string | ReadableStream<Uint8Array>) {
    return fetch(`${small.url}/api/plugins/install`, {
      method: "POST",
      headers: { ...bearer(admin), "content-type": "application/json", "x-tenant-id": "acme" },
      body,
      duplex: "half",
    } as RequestInit);
  }

  const trpcBody = (bytes: number, instanceId: string) =>
    paddedInstall(bytes, { tenantId: "acme", pluginId: "tiny", instanceId });
  const restBody = (bytes: number, instanceId: string) => paddedInstall(bytes, { pluginId: "tiny", instanceId });

  it("a /trpc mutation body of 2049 bytes with a Content-Length: 413 in tRPC's shape", async () => {
    await expectNothingChanged(small, async () => {
      const message = await expectTrpcShape(
        await postTrpc(trpcBody(LIMIT + 1, "over")),
        413,
        "PAYLOAD_TOO_LARGE",
        "installations.install",
      );
      expect(message).toContain(String(LIMIT));
    });
  });

  it("a streamed /trpc mutation body over the limit without a Content-Length: 413", async () => {
    await expectNothingChanged(small, async () => {
      await expectTrpcShape(
        await postTrpc(streamed(trpcBody(LIMIT * 2, "over-streamed"))),
        413,
        "PAYLOAD_TOO_LARGE",
        "installations.install",
      );
    });
  });

  it("an /api/plugins/install body of 2049 bytes with a Content-Length: 413", async () => {
    await expectNothingChanged(small, async () => {
      const message = await expectError(await postInstall(restBody(LIMIT + 1, "over")), 413, "PAYLOAD_TOO_LARGE");
      expect(message).toContain(String(LIMIT));
    });
  });

  it("a streamed /api/plugins/install body over the limit without a Content-Length: 413", async () => {
    await expectNothingChanged(small, async () => {
      await expectError(await postInstall(streamed(restBody(LIMIT * 2, "over-streamed"))), 413, "PAYLOAD_TOO_LARGE");
    });
  });

  it("accepts the same bodies at exactly 2048 bytes (so the 413s above are about size alone)", async () => {
    const viaTrpc = await postTrpc(trpcBody(LIMIT, "at-limit-trpc"));
    expect(viaTrpc.status, await viaTrpc.clone().text()).toBe(200);
    const viaRest = await postInstall(restBody(LIMIT, "at-limit-rest"));
    expect(viaRest.status, await viaRest.clone().text()).toBe(201);
  });
});

describe("6. malformed bodies are refused 400", () => {
  it.each([
    ["truncated JSON", '{"tenantId": "acme", "pluginId": "owned"'],
    ["JSON with trailing garbage", '{"tenantId":"acme","pluginId":"owned","instanceId":"g"} x'],
    ["a bare word", "nope"],
    ["single-quoted JSON", "{'tenantId': 'acme', 'pluginId': 'owned'}"],
    ["an unterminated string", '{"tenantId": "acme'],
    ["an empty body", ""],
    ["JSON null", "null"],
    ["a JSON number overflowing to Infinity", "1e999"],
  ])("a /trpc POST with %s (400 in tRPC's shape)", async (_, body) => {
    await expectNothingChanged(stack, async () => {
      await expectTrpcShape(
        await trpcPost(stack, "installations.install", body, bearer(tokens.admin)),
        400,
        "BAD_REQUEST",
        "installations.install",
      );
    });
  });

  it.each([
    ["JSON with trailing garbage", '{"pluginId":"owned","instanceId":"g"} x'],
    ["single-quoted JSON", "{'pluginId': 'owned'}"],
    ["JSON null", "null"],
    ["a JSON string", '"owned"'],
    ["a JSON number overflowing to Infinity", "1e999"],
    ["a body that is only whitespace", "   \n"],
  ])("an install with %s (400)", async (_, body) => {
    await expectNothingChanged(stack, async () => {
      await expectError(await install(stack, tokens.admin, "acme", body), 400, "BAD_REQUEST");
    });
  });

  it.each([
    ["garbage under a boundary", "multipart/form-data; boundary=xyz", "this is not multipart"],
    ["no boundary parameter", "multipart/form-data", "--xyz\r\n\r\n--xyz--"],
    [
      "a part that never ends",
      "multipart/form-data; boundary=xyz",
      '--xyz\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{"id":',
    ],
    [
      "a body under another boundary than declared",
      "multipart/form-data; boundary=declared",
      '--other\r\nContent-Disposition: form-data; name="file"; filename="a.js"\r\n\r\nx\r\n--other--\r\n',
    ],
    ["an empty body", "multipart/form-data; boundary=xyz", ""],
  ])("a multipart publish with %s: 400 on /trpc/plugins.publish", async (_, contentType, body) => {
    await expectNothingChanged(stack, async () => {
      const response = await fetch(`${stack.url}/trpc/plugins.publish`, {
        method: "POST",
        headers: { ...bearer(tokens.admin), "content-type": contentType },
        body,
      });
      await expectTrpcShape(response, 400, "BAD_REQUEST", "plugins.publish");
    });
  });

  it.each([
    [
      "a body under another boundary than declared",
      "multipart/form-data; boundary=declared",
      '--other\r\nContent-Disposition: form-data; name="file"; filename="a.js"\r\n\r\nx\r\n--other--\r\n',
    ],
    ["an empty body", "multipart/form-data; boundary=xyz", ""],
    [
      "a part without Content-Disposition",
      "multipart/form-data; boundary=xyz",
      "--xyz\r\nContent-Type: text/plain\r\n\r\nx\r\n--xyz--\r\n",
    ],
  ])("a multipart upload with %s: 400 on /api/plugins/upload", async (_, contentType, body) => {
    await expectNothingChanged(stack, async () => {
      const response = await fetch(`${stack.url}/api/plugins/upload`, {
        method: "POST",
        headers: { ...bearer(tokens.admin), "content-type": contentType },
        body,
      });
      await expectError(response, 400, "BAD_REQUEST");
    });
  });

  it.each([
    ["text/plain", JSON.stringify({ tenantId: "acme", pluginId: "owned", instanceId: "csrf" })],
    ["application/x-www-form-urlencoded", "tenantId=acme&pluginId=owned&instanceId=csrf"],
  ])("a %s POST (what a cross-site form sends without preflight) to a mutation: 415", async (contentType, body) => {
    await expectNothingChanged(stack, async () => {
      const response = await fetch(`${stack.url}/trpc/installations.install`, {
        method: "POST",
        headers: { ...bearer(tokens.admin), "content-type": contentType },
        body,
      });
      const text = await response.text();
      expect(response.status, text).toBe(415);
      expect((JSON.parse(text) as { error: { data: { code: string } } }).error.data.code).toBe(
        "UNSUPPORTED_MEDIA_TYPE",
      );
    });
  });

  it("a multipart body sent to a JSON mutation: 400", async () => {
    const form = new FormData();
    form.set("tenantId", "acme");
    form.set("pluginId", "owned");
    form.set("instanceId", "from-form");
    await expectNothingChanged(stack, async () => {
      const response = await fetch(`${stack.url}/trpc/installations.install`, {
        method: "POST",
        headers: bearer(tokens.admin),
        body: form,
      });
      await expectTrpcShape(response, 400, "BAD_REQUEST", "installations.install");
    });
  });
});

// ---------------------------------------------------------------------------------------
// Batches

describe("7. a tRPC batch spends one unit of its budget per call, and holds at most 50 calls", () => {
  /** Rate limits of this stack: writes and reads per 60 s window, per IP and per user. */
  const WRITE_BUDGET = 60;
  const READ_BUDGET = 100;
  let limited: Stack;
  beforeAll(async () => {
    limited = await startStack({ rateLimits: { write: WRITE_BUDGET, read: READ_BUDGET } });
  });
  afterAll(() => limited?.stop());
  // Each test spends its budgets within one 60 s window.
  beforeEach(() => roomInRateLimitWindow(60, 20));

  const batchPath = (procedure: string, calls: number) => Array.from({ length: calls }, () => procedure).join(",");
  const batchInput = (calls: number, input: unknown) =>
    Object.fromEntries(Array.from({ length: calls }, (_, index) => [index, input]));
  const tokenInput = { name: "ci", plugins: ["acme-*"], actions: ["publish"] };

  /** A signed-in editor at an address of its own, so that no test spends another's budget. */
  async function caller(sub: string, ip: string) {
    return { ...bearer(await limited.token({ sub, role: "editor", tenant: "acme" })), "cf-connecting-ip": ip };
  }

  function mintBatch(headers: Record<string, string>, calls: number) {
    return fetch(`${limited.url}/trpc/${batchPath("tokens.create", calls)}?batch=1`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(batchInput(calls, tokenInput)),
    });
  }

  async function mintedBy(sub: string): Promise<number> {
    const { rows } = await limited.db.query<{ count: string }>(
      "select count(*) from publish_tokens where owner_id = $1",
      [sub],
    );
    return Number(rows[0]?.count);
  }

  /** The limiter's windows are fixed 60 s ones: start a test's spending well inside one. */
  async function inOneWindow() {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
  }

  it("refuses a POST batching 80 tokens.create with 400 naming the limit, minting nothing", async () => {
    const headers = await caller("batcher-80", "198.51.100.80");
    await expectNothingChanged(limited, async () => {
      const response = await mintBatch(headers, 80);
      const message = await expectTrpcShape(response, 400, "BAD_REQUEST", batchPath("tokens.create", 80));
      expect(message).toContain("50 calls");
    });
    expect(await mintedBy("batcher-80")).toBe(0);
  });

  it("refuses a GET batching 51 queries with 400 naming the limit", async () => {
    const path = batchPath("plugins.get", 51);
    const input = encodeURIComponent(JSON.stringify(batchInput(51, { pluginId: "owned" })));
    const response = await fetch(`${limited.url}/trpc/${path}?batch=1&input=${input}`);
    expect(await expectTrpcShape(response, 400, "BAD_REQUEST", path)).toContain("50 calls");
  });

  it("counts the calls however the path spells its commas (%2C)", async () => {
    const path = batchPath("plugins.get", 51).replaceAll(",", "%2C");
    const input = encodeURIComponent(JSON.stringify(batchInput(51, { pluginId: "owned" })));
    const response = await fetch(`${limited.url}/trpc/${path}?batch=1&input=${input}`);
    expect(response.status).toBe(400);
  });

  it("mints 40 tokens from a batch of 40, then refuses a second batch of 40 with 429 and mints none of it", async () => {
    await inOneWindow();
    const headers = await caller("batcher-40", "198.51.100.40");
    const first = await mintBatch(headers, 40);
    expect(first.status, await first.clone().text()).toBe(200);
    expect(((await first.json()) as unknown[]).length).toBe(40);
    expect(await mintedBy("batcher-40")).toBe(40);

    await expectNothingChanged(limited, async () => {
      const second = await mintBatch(headers, 40);
      await expectTrpcShape(second, 429, "TOO_MANY_REQUESTS", batchPath("tokens.create", 40));
      expect(Number(second.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    });
    expect(await mintedBy("batcher-40")).toBeLessThanOrEqual(WRITE_BUDGET);
  });

  it("the same in the streamed form (trpc-accept: application/jsonl)", async () => {
    await inOneWindow();
    const headers = { ...(await caller("streamer", "198.51.100.41")), "trpc-accept": "application/jsonl" };
    const first = await mintBatch(headers, 45);
    expect(first.status).toBe(200);
    // One line per result as each call finishes, after a head line: the streamed form indeed.
    expect((await first.text()).trim().split("\n").length).toBeGreaterThan(1);
    expect(await mintedBy("streamer")).toBe(45);

    await expectNothingChanged(limited, async () => {
      const second = await mintBatch(headers, 45);
      await expectTrpcShape(second, 429, "TOO_MANY_REQUESTS", batchPath("tokens.create", 45));
    });
    expect(await mintedBy("streamer")).toBe(45);
  });

  it("counts each query of a GET batch against the read budget", async () => {
    await inOneWindow();
    const headers = { "cf-connecting-ip": "198.51.100.42" };
    const read = (calls: number) => {
      const input = encodeURIComponent(JSON.stringify(batchInput(calls, { pluginId: "missing" })));
      return fetch(`${limited.url}/trpc/${batchPath("plugins.get", calls)}?batch=1&input=${input}`, { headers });
    };
    for (let batch = 0; batch < READ_BUDGET / 50; batch++) expect((await read(50)).status).not.toBe(429);
    await expectTrpcShape(await read(1), 429, "TOO_MANY_REQUESTS", "plugins.get");
  });
});

// ---------------------------------------------------------------------------------------
// Route words

describe("8. the fixed words of /api/plugins routes are no plugin ids", () => {
  it.each(["upload", "install", "start", "stop", "status"])(
    "refuses to publish a plugin named '%s' (400 naming the id), storing nothing",
    async (id) => {
      await expectNothingChanged(stack, async () => {
        const response = await upload(stack, { token: tokens.alice, metadata: pluginMetadata({ id }) });
        const message = await expectError(response, 400, "BAD_REQUEST");
        expect(message).toContain(`metadata.id: "${id}" is reserved`);
      });
    },
  );

  it("refuses one named 'status' in an archive's plugin.json, too", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await uploadFields(stack, {
        token: tokens.alice,
        file: await tarGz(pluginFolder({ id: "status", version: "1.0.0" })),
      });
      expect(await expectError(response, 400, "BAD_REQUEST")).toContain('"status" is reserved');
    });
  });

  it("keeps reading a plugin stored under such a name before the words were reserved", async () => {
    await stack.db.query(
      `insert into plugins (id, name, description, category, extension_points, owner_id)
       values ('status', 'Status', '', 'widgets', '{}', 'alice')`,
    );
    const api = trpc(stack);
    expect(await api.plugins.get.query({ pluginId: "status" })).toMatchObject({ id: "status", name: "Status" });
    expect(await api.maintainers.list.query({ pluginId: "status" })).toMatchObject({ owner: "alice" });
    // No version yet: a read that finds nothing, not an id refused.
    await expectTrpcError(api.plugins.resolve.query({ pluginId: "status" }), "NOT_FOUND", 404);
  });
});

// ---------------------------------------------------------------------------------------
// Active content and deceptive file names in archives

describe("files a browser would render actively are served inert (the browser proof is in active-content.test.ts)", () => {
  const ACTIVE = [
    ["page.html", "<script>fetch('/trpc/health.check')</script>"],
    ["upper/PAGE.HTML", "<script>1</script>"],
    ["page.htm", "<script>1</script>"],
    ["page.shtml", "<script>1</script>"],
    ["page.xhtml", '<html xmlns="http://www.w3.org/1999/xhtml"><script>1</script></html>'],
    ["page.xht", '<html xmlns="http://www.w3.org/1999/xhtml"><script>1</script></html>'],
    ["feed.xml", '<a><script xmlns="http://www.w3.org/1999/xhtml">1</script></a>'],
    ["style.xsl", '<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"/>'],
    ["doc.rdf", "<rdf/>"],
    ["page.mht", "MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<script>1</script>"],
    ["doc.pdf", "%PDF-1.4\n%%EOF\n"],
    ["no-extension", "<script>1</script>"],
    ["icon.svg", '<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'],
  ] as const;
  /** What a browser may render as a document of the serving origin, running its script. */
  const RENDERED_ACTIVELY = /^(text\/html|application\/(xhtml\+xml|xml|xslt\+xml|rdf\+xml|pdf)|text\/xml|message\/)/;

  beforeAll(async () => {
    const files = [
      ...pluginFolder({ id: "active-content", version: "1.0.0" }),
      ...ACTIVE.map(([path, body]) => ({ path: `files/${path}`, bytes: encoder.encode(body) })),
    ];
    await publishFields(stack, { token: tokens.alice, file: await tarGz(files) });
  });

  it.each(ACTIVE.map(([path]) => path))("files/%s: no active type, the sandbox CSP, nosniff", async (path) => {
    const response = await fetch(`${stack.url}/plugins/bundles/active-content/v1.0.0/files/${path}`);
    await response.arrayBuffer();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).not.toMatch(RENDERED_ACTIVELY);
    expect(response.headers.get("content-security-policy")).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    );
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("an object planted in R2 with an active type is served inert all the same", async () => {
    await stack.bucket.put("active-content/1.0.0/planted.html", "<script>1</script>", {
      httpMetadata: { contentType: "application/xhtml+xml" },
    });
    const response = await fetch(`${stack.url}/plugins/bundles/active-content/v1.0.0/planted.html`);
    await response.arrayBuffer();
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("sandbox");
  });
});

describe("deceptive file names are refused 400, the name escaped, storing nothing", () => {
  it.each([
    ["a zero-width space", "index\u200B.js", '"index\\u{200b}.js"'],
    ["a right-to-left override", "chunks/gnp\u202E.js", '"chunks/gnp\\u{202e}.js"'],
    ["a first-strong isolate", "a\u2068.js", '"a\\u{2068}.js"'],
    // Inside the name: a leading one is dropped by the tar reader's UTF-8 decoding.
    ["a byte-order mark", "chunks/\uFEFFc.js", '"chunks/\\u{feff}c.js"'],
    ["a trailing dot", "index.js.", '"index.js."'],
    ["a trailing space", "chunks/a.js ", '"chunks/a.js "'],
    ["a folder with a trailing dot", "chunks./b.js", '"chunks./b.js"'],
    ["a trailing Braille pattern blank", "index.js\u2800", '"index.js\\u{2800}"'],
    ["a Braille pattern blank inside", "index\u2800.js", '"index\\u{2800}.js"'],
    ["a Hangul filler", "chunks/a\u3164.js", '"chunks/a\\u{3164}.js"'],
    ["a halfwidth Hangul filler", "chunks/a\uFFA0.js", '"chunks/a\\u{ffa0}.js"'],
    ["Hangul choseong and jungseong fillers", "chunks/a\u115F\u1160.js", '"chunks/a\\u{115f}\\u{1160}.js"'],
    ["a no-break space", "my\u00A0file.js", '"my\\u{a0}file.js"'],
    ["an em space", "a\u2003b.js", '"a\\u{2003}b.js"'],
    ["an ideographic space", "a\u3000b.js", '"a\\u{3000}b.js"'],
  ])("an archive entry with %s", async (_, path, quoted) => {
    const files = [...pluginFolder({ id: "deceptive", version: "1.0.0" }), { path, bytes: encoder.encode("1") }];
    await expectNothingChanged(stack, async () => {
      const response = await uploadFields(stack, { token: tokens.alice, file: await tarGz(files) });
      const message = await expectError(response, 400, "BAD_REQUEST");
      expect(message).toContain(`file: archive entry ${quoted}:`);
      // The message shows what the name holds: no invisible character survives into it.
      expect(message).not.toMatch(/[\p{Cf}\u3164\u2800\u00A0\u3000]/u);
    });
  });

  it("an archive entry with an ordinary space inside its name is published", async () => {
    const files = [
      ...pluginFolder({ id: "spaced", version: "1.0.0" }),
      { path: "my file.js", bytes: encoder.encode("1") },
    ];
    const response = await uploadFields(stack, { token: tokens.alice, file: await tarGz(files) });
    expect(response.status, await response.clone().text()).toBe(201);
  });

  it("an entry with a zero-width space in the manifest (400 naming metadata.entry)", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await upload(stack, {
        token: tokens.alice,
        metadata: pluginMetadata({ id: "deceptive-single", entry: "bundle\u200B.js" }),
      });
      expect(await expectError(response, 400, "BAD_REQUEST")).toMatch(/^metadata\.entry: /);
    });
  });

  it("a bundle URL naming such a file answers 404 even for an object planted in R2", async () => {
    await stack.bucket.put("multi/1.0.0/index\u200B.js", "export default 'planted';\n", {
      httpMetadata: { contentType: "text/javascript; charset=utf-8" },
    });
    for (const path of ["index%E2%80%8B.js", "index.js.", "index.js%20"]) {
      const response = await fetch(`${stack.url}/plugins/bundles/multi/v1.0.0/${path}`);
      await response.arrayBuffer();
      expect(response.status, path).toBe(404);
    }
  });
});

describe("super-linear patterns in config schemas run in linear time or are refused at publish", () => {
  it("an install with an empty config, whose 10 KB default every classic super-linear pattern backtracks on, answers 400 within 2 s while /health answers", async () => {
    const config = {
      type: "object",
      properties: {
        name: { type: "string", allOf: SUPER_LINEAR_PATTERNS.map((pattern) => ({ pattern })), default: HOSTILE_INPUT },
      },
    };
    await publish(stack, tokens.alice, pluginMetadata({ id: "redos-attack", version: "1.0.0", config }));
    await expectNothingChanged(stack, async () => {
      const started = performance.now();
      const [installed, health] = await Promise.all([
        fetch(`${stack.url}/api/plugins/install`, {
          method: "POST",
          headers: { ...bearer(tokens.alice), "x-tenant-id": "acme", "content-type": "application/json" },
          body: JSON.stringify({ pluginId: "redos-attack", config: {} }),
          signal: AbortSignal.timeout(10_000),
        }),
        fetch(`${stack.url}/health`, { signal: AbortSignal.timeout(10_000) }),
      ]);
      expect(health.status).toBe(200);
      expect(await expectError(installed, 400, "BAD_REQUEST")).toMatch(
        /^config\.name: String does not match pattern\./,
      );
      expect(performance.now() - started).toBeLessThan(2_000);
    });
  });

  it.each([
    [
      "a lookbehind in $defs",
      { $defs: { tag: { type: "string", pattern: "(?<=#)\\w+" } } },
      /^metadata\.config: \$defs\.tag\.pattern "\(\?<=#\)\\w\+" cannot run in linear time/,
    ],
    [
      "a backreference",
      { properties: { twice: { type: "string", pattern: "^(\\w+)\\1$" } } },
      /^metadata\.config: properties\.twice\.pattern .* backreferences/,
    ],
    [
      "format url",
      { properties: { site: { type: "string", format: "url" } } },
      /^metadata\.config: properties\.site\.format "url" is not supported/,
    ],
    [
      "a $ref/allOf fan-out that evaluates its one linear pattern 2^17 times",
      fanOutSchema(),
      /^metadata\.config: is too costly to check: with its \$refs expanded it has \d+ subschemas, at most 10000$/,
    ],
    [
      "550 linear patterns on a 40 KB default",
      manyPatternsSchema(),
      /^metadata\.config: is too costly to check: it has 550 distinct patterns, at most 256$/,
    ],
  ])("a config schema with %s: 400 naming it, storing nothing", async (_, config, message) => {
    await expectNothingChanged(stack, async () => {
      const response = await upload(stack, {
        token: tokens.alice,
        metadata: pluginMetadata({ id: "redos-refused", config: { type: "object", ...config } }),
      });
      expect(await expectError(response, 400, "BAD_REQUEST")).toMatch(message);
    });
  });
});
