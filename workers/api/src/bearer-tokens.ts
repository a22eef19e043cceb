import { SignJWT } from "jose";

export interface BearerClaims {
  sub: string;
  role?: string;
  tenant?: string;
  email?: string;
}

export interface BearerSigning {
  secret: string;
  issuer?: string;
  audience?: string;
  /** jose time span (`1h`, `30s`) or seconds since the epoch. */
  expiresAt: string | number;
  notBefore?: string | number;
}

/**
 * An HS256 bearer token as an identity provider sharing JWT_SECRET would sign it. Used only
 * where the platform itself stands in for that provider: `pnpm token`, the tests, and the
 * console's dev sign-in on a local stack.
 */
export function signBearerToken(claims: BearerClaims, signing: BearerSigning): Promise<string> {
  const jwt = new SignJWT({ ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(signing.expiresAt);
  if (signing.issuer !== undefined) jwt.setIssuer(signing.issuer);
  if (signing.audience !== undefined) jwt.setAudience(signing.audience);
  if (signing.notBefore !== undefined) jwt.setNotBefore(signing.notBefore);
  return jwt.sign(new TextEncoder().encode(signing.secret));
}
