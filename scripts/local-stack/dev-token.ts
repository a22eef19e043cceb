import { type BearerClaims, signBearerToken } from "../../workers/api/src/bearer-tokens";

/** The HS256 secret of local development and tests. Never used by a deployed worker. */
export const DEV_JWT_SECRET = "local-development-secret-do-not-deploy";
export const DEV_INTERNAL_TOKEN_SECRET = "local-internal-secret-do-not-deploy";
/** 32 bytes, base64: the AES-GCM key for secret config fields in local development and tests. */
export const DEV_CONFIG_ENCRYPTION_KEY = "bG9jYWwtY29uZmlnLWtleS1kby1ub3QtZGVwbG95ISE=";
/**
 * SIGNING_KEYS in local development and tests: one Ed25519 key that signs every version
 * published locally, public in this repository, so never for a deployment (`pnpm signing-key`).
 */
export const DEV_SIGNING_KEYS = JSON.stringify([
  {
    keyid: "dev-2026",
    created: "2026-01-01T00:00:00.000Z",
    expires: null,
    jwk: {
      kty: "OKP",
      crv: "Ed25519",
      x: "qMcuzi32ghopfsItDyvCoTtS2CGJ80DV_VMksIjPbtY",
      d: "WFbqmy85PjkfbnB2HhwTAboQCdT9fgOTSF2mzRhlkyw",
    },
  },
]);
export const DEV_JWT_ISSUER = "plugin-platform-dev";
export const DEV_JWT_AUDIENCE = "plugin-platform";

export type DevTokenClaims = BearerClaims;

export interface DevTokenOptions {
  secret?: string;
  issuer?: string;
  audience?: string;
  /** jose time span (`1h`, `30s`) or seconds since the epoch. */
  expiresAt?: string | number;
  notBefore?: string | number;
}

/** Signs a bearer token the way the local stack and the tests expect one. */
export function signDevToken(claims: DevTokenClaims, options: DevTokenOptions = {}): Promise<string> {
  return signBearerToken(claims, {
    secret: options.secret ?? DEV_JWT_SECRET,
    issuer: options.issuer ?? DEV_JWT_ISSUER,
    audience: options.audience ?? DEV_JWT_AUDIENCE,
    expiresAt: options.expiresAt ?? "12h",
    notBefore: options.notBefore,
  });
}
