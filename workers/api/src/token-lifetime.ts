/** How far a bearer token's times may be off this server's clock (exp, nbf, iat). */
export const CLOCK_SKEW_SECONDS = 30;

/** Without JWT_MAX_LIFETIME_SECONDS: a day, beyond any session an identity provider hands a browser. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

/**
 * Why a signed token's times are unacceptable, or null: a leaked token must not stay good
 * for long, however far its issuer set `exp`. Its lifetime is exp − iat; a token without
 * `iat` is measured from now. One issued in the future beyond the skew is refused too, as a
 * future `iat` would stretch the window in which the token is good.
 */
export function tokenTimeProblem(
  { iat, exp }: { iat?: number; exp: number },
  maxLifetime: number,
  now = Date.now() / 1000,
): string | null {
  const limit = `longer than the ${maxLifetime} s a bearer token may live (JWT_MAX_LIFETIME_SECONDS)`;
  if (iat === undefined) {
    const left = Math.round(exp - now);
    return left > maxLifetime + CLOCK_SKEW_SECONDS ? `expires in ${left} s, ${limit}; it has no iat` : null;
  }
  if (iat > now + CLOCK_SKEW_SECONDS) {
    return `was issued ${Math.round(iat - now)} s in the future (iat), beyond the ${CLOCK_SKEW_SECONDS} s clock skew`;
  }
  const lifetime = exp - iat;
  return lifetime > maxLifetime ? `lives ${Math.round(lifetime)} s (exp − iat), ${limit}` : null;
}
