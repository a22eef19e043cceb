import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import { internalToken } from "@plugins/schema";
import { TRPCClientError } from "@trpc/client";
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_JWT_AUDIENCE, DEV_JWT_ISSUER, DEV_JWT_SECRET } from "../scripts/local-stack/dev-token";
import {
  bearer,
  expectNothingChanged,
  expectTrpcShape,
  seedAttackTargets,
  type TrpcErrorBody,
  trpcGet,
  trpcPost,
} from "./attack-helpers";
import { type Cast, mintCast } from "./cast";
import {
  expectError,
  expectTrpcError,
  internalClaimsFor,
  jwtSegment,
  multipartForm,
  pluginMetadata,
  signInternalToken,
  trpc,
  upload,
} from "./helpers";
import { type Stack, startStack } from "./stack";

/**
 * Forged identity: bearer tokens it cannot trust (unsigned, mis-signed, confused between HS
 * and RS keys, expired, with claims out of shape) and identity a client sends itself
 * (x-user-* headers, internal tokens) are refused or ignored on /api and /trpc alike, and
 * nothing is stored. Every refusal asserts its status, its code and that no row and no R2
 * object changed.
 */

let stack: Stack;
let cast: Cast;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  await seedAttackTargets(stack, cast);
});
afterAll(() => stack?.stop());

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
    expect(await expectError(await uploadAs(target, token), 401, "UNAUTHORIZED")).toMatch(/bearer token/i);
    const listed = await trpcGet(target, "installations.list", { tenantId: "acme" }, bearer(token));
    const message = await expectTrpcShape(listed, 401, "UNAUTHORIZED", "installations.list");
    expect(message).toMatch(/bearer token/i);
  });
}

describe("a bearer token it cannot trust is refused 401 on /api and on /trpc, storing nothing", () => {
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
    ["with alg HS512 under the right secret", () => hs256(claims(), DEV_JWT_SECRET, "HS512")],
    ["with a tenant that is not a slug", () => hs256(claims({ tenant: "../Acme" }))],
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

describe("HS/RS confusion against a JWKS served over HTTP", () => {
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

describe("identity a client sends itself grants nothing on /trpc mutations", () => {
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
      const response = await trpcPost(stack, path, input, { ...(await forgedAdmin()), ...bearer(cast.vera) });
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
      const response = await trpcPost(stack, path, input, { ...asAlice, ...bearer(cast.bob) });
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
        token: cast.bob,
        metadata: pluginMetadata({ id: "owned", version: "9.0.0" }),
        headers: asAlice,
      });
      expect(await expectError(uploaded, 403, "FORBIDDEN")).toContain("owned");
      const installed = await fetch(`${stack.url}/api/plugins/install`, {
        method: "POST",
        headers: { ...asAlice, ...bearer(cast.bob), "x-tenant-id": "acme", "content-type": "application/json" },
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
          ...bearer(cast.alice),
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
      const alone = await trpcGet(stack, "versions.yank", yank, bearer(cast.root));
      await expectTrpcShape(alone, 405, "METHOD_NOT_SUPPORTED", "versions.yank");
      // Hidden behind a query in a batch: tRPC refuses to mix procedure types in one call.
      const mixed = encodeURIComponent(JSON.stringify({ 0: { pluginId: "owned" }, 1: yank }));
      const hidden = await fetch(`${stack.url}/trpc/plugins.get,versions.yank?batch=1&input=${mixed}`, {
        headers: bearer(cast.root),
      });
      const hiddenText = await hidden.text();
      expect(hidden.status, hiddenText).toBe(400);
      expect((JSON.parse(hiddenText) as TrpcErrorBody).error.data.code).toBe("BAD_REQUEST");
      // A batch of mutations only, by GET.
      const only = encodeURIComponent(JSON.stringify({ 0: yank, 1: { pluginId: "owned", tag: "latest" } }));
      const batch = await fetch(`${stack.url}/trpc/versions.yank,tags.remove?batch=1&input=${only}`, {
        headers: bearer(cast.root),
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

describe("a caller without a usable Authorization header is refused 401, storing nothing", () => {
  function uploadWithAuthorization(authorization: string | null, headers: Record<string, string> = {}) {
    return fetch(`${stack.url}/api/plugins/upload`, {
      method: "POST",
      body: multipartForm({ metadata: pluginMetadata({ id: "fresh" }) }),
      headers: { ...(authorization === null ? {} : { authorization }), ...headers },
    });
  }

  it("no token at all, and says a bearer token is needed", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await uploadWithAuthorization(null);
      expect(response.headers.get("www-authenticate")).toBe("Bearer");
      expect(await expectError(response, 401, "UNAUTHORIZED")).toBe("This route needs a bearer token");
    });
  });

  it.each([
    ["Basic credentials", "Basic YWxpY2U6c2VjcmV0"],
    ["a bare Bearer", "Bearer"],
    ["two tokens", "Bearer a.b.c d.e.f"],
    ["a token that is not a JWT", "Bearer not-a-jwt"],
  ])("an Authorization header with %s", async (_, header) => {
    await expectNothingChanged(stack, async () => {
      const message = await expectError(await uploadWithAuthorization(header), 401, "UNAUTHORIZED");
      expect(message).toMatch(/bearer|authorization/i);
    });
  });

  it("a guest claiming admin through x-user-* headers", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await uploadWithAuthorization(null, {
        "x-user-role": "admin",
        "x-user-id": "root",
        "x-user-tenant": "acme",
        "x-tenant-id": "acme",
      });
      await expectError(response, 401, "UNAUTHORIZED");
    });
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
