import { hs256Key } from "@plugins/runtime";
import { type InternalClaims, internalClaimsSchema, internalToken } from "@plugins/schema";
import { createMiddleware } from "hono/factory";
import { jwtVerify } from "jose";
import { readConfig } from "../config";
import { RegistryError } from "../lib/errors";

/** The worker's Hono app: its bindings, and the claims of the caller once verified. */
export type PluginsApp = { Bindings: Env; Variables: { claims: InternalClaims } };

/**
 * Verifies the identity the API worker minted for this request. Nothing else about the
 * caller is believed: a request without a valid, unexpired, audience-bound token is refused.
 */
export async function verifyInternalToken(token: string, secret: string): Promise<InternalClaims | null> {
  try {
    const { payload } = await jwtVerify(token, await hs256Key(secret), {
      algorithms: [internalToken.algorithm],
      issuer: internalToken.issuer,
      audience: internalToken.audience,
      maxTokenAge: internalToken.ttlSeconds,
      requiredClaims: ["exp", "iat"],
    });
    const claims = internalClaimsSchema.safeParse(payload);
    return claims.success ? claims.data : null;
  } catch {
    return null;
  }
}

/** Everything but bundle bytes needs the identity the API worker minted for this request. */
export const requireInternalIdentity = createMiddleware<PluginsApp>(async (c, next) => {
  const { internalTokenSecret } = readConfig(c.env);
  const claims = await verifyInternalToken(c.req.header(internalToken.header) ?? "", internalTokenSecret);
  if (!claims) throw new RegistryError("UNAUTHORIZED", "Missing or invalid internal identity");
  c.set("claims", claims);
  await next();
});
