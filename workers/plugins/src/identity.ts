import { type InternalClaims, internalClaimsSchema, internalToken } from "@plugins/schema";
import { jwtVerify } from "jose";

/**
 * Verifies the identity the API worker minted for this request. Nothing else about the
 * caller is believed: a request without a valid, unexpired, audience-bound token is refused.
 */
export async function verifyInternalToken(token: string, secret: string): Promise<InternalClaims | null> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
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
