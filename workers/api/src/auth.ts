import { hs256Key } from "@plugins/runtime";
import { type Grant, grantSchema, type Identity, identitySchema, PUBLISH_TOKEN_PREFIX } from "@plugins/schema";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { type JWTPayload, jwtVerify } from "jose";
import { z } from "zod";
import { readConfig } from "./config";
import type { AppEnv } from "./env";
import { ApiError } from "./errors";
import { isolateOf } from "./isolate";
import { callPluginsAsGateway, internalClaims } from "./plugins-client";
import { CLOCK_SKEW_SECONDS, tokenTimeProblem } from "./token-lifetime";

const ASYMMETRIC_ALGORITHMS = ["RS256", "ES256", "EdDSA"] as const;

/**
 * Verifies a caller's bearer token. The accepted algorithms follow from the configured
 * keys: HS256 only with JWT_SECRET, asymmetric ones only with JWKS_URL, so a token can
 * never pick a shared secret as its "public key" (HS/RS confusion) or claim `alg: none`.
 * A token living longer than JWT_MAX_LIFETIME_SECONDS, or issued in the future, is refused
 * whoever signed it. One that passed is believed again without these checks until it expires,
 * for a minute at most (verified-tokens.ts).
 */
export async function verifyBearer(token: string, env: Env): Promise<Identity> {
  const isolate = isolateOf(env);
  const remembered = isolate.verifiedTokens.get(token);
  if (remembered) return remembered;
  const config = readConfig(env);
  const secret = config.jwtSecret ? await hs256Key(config.jwtSecret) : null;
  const keySet = isolate.keySet();
  if (!secret && !keySet) throw new Error("Neither JWT_SECRET nor JWKS_URL is configured");
  const algorithms = [...(secret ? ["HS256"] : []), ...(keySet ? ASYMMETRIC_ALGORITHMS : [])];
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      async (header, input) => {
        if (header.alg === "HS256" && secret) return secret;
        if (keySet) return keySet(header, input);
        throw new Error(`algorithm ${header.alg} is not accepted`);
      },
      {
        algorithms,
        issuer: config.jwtIssuer,
        audience: config.jwtAudience,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ["sub", "exp"],
      },
    ));
  } catch {
    throw new ApiError("UNAUTHORIZED", "The bearer token is invalid or expired");
  }
  // jose has checked that exp is present (requiredClaims) and that both are numbers.
  const times = { exp: payload.exp as number, iat: payload.iat };
  const timeProblem = tokenTimeProblem(times, config.maxTokenLifetimeSeconds);
  if (timeProblem) throw new ApiError("UNAUTHORIZED", `The bearer token ${timeProblem}`);
  const identity = identitySchema.safeParse({
    sub: payload.sub,
    role: payload.role ?? "viewer",
    tenant: payload.tenant ?? null,
    email: payload.email ?? null,
  });
  if (!identity.success || identity.data.role === "guest") {
    throw new ApiError("UNAUTHORIZED", "The bearer token's claims are invalid (sub, role, tenant, email)");
  }
  isolate.verifiedTokens.remember(token, identity.data, (times.exp + CLOCK_SKEW_SECONDS) * 1000);
  return identity.data;
}

/**
 * Sets `identity` from the `Authorization: Bearer` header; without one the caller stays
 * a guest. A header that is present but wrong is refused rather than downgraded to a guest.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  if (header === undefined) return next();
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw new ApiError("UNAUTHORIZED", "The Authorization header must be 'Bearer <token>'");
  const bearer = match[1];
  if (bearer.startsWith(PUBLISH_TOKEN_PREFIX)) {
    const { identity, grant } = await redeemPublishToken(c, bearer);
    c.set("identity", identity);
    c.set("grant", grant);
  } else {
    c.set("identity", await verifyBearer(bearer, c.env));
  }
  return next();
});

/** Refuses guests before any work is done for a route that needs a signed-in caller. */
export const requireSignedIn = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("identity").role === "guest") {
    throw new ApiError("UNAUTHORIZED", "This route needs a bearer token", { "www-authenticate": "Bearer" });
  }
  return next();
});

/**
 * A publish token is checked where tokens live, in the plugins worker (by hash, expiry,
 * revocation), asked as the gateway itself rather than as the unknown caller.
 */
async function redeemPublishToken(c: Context<AppEnv>, token: string): Promise<{ identity: Identity; grant: Grant }> {
  const response = await callPluginsAsGateway(
    c.env,
    internalClaims(c).request,
    "token-redeemer",
    "/publish-tokens/redeem",
    {
      token,
    },
  );
  if (response.status === 401 || response.status === 400) {
    throw new ApiError("UNAUTHORIZED", "The publish token is unknown, revoked or expired");
  }
  if (!response.ok) throw new ApiError("SERVICE_UNAVAILABLE", "Publish tokens cannot be checked right now");
  const redeemed = redeemedSchema.safeParse(await response.json());
  if (!redeemed.success) throw new ApiError("SERVICE_UNAVAILABLE", "Publish tokens cannot be checked right now");
  return redeemed.data;
}

const redeemedSchema = z.object({ identity: identitySchema, grant: grantSchema });
