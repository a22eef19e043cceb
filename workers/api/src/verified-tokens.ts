import type { Identity } from "@plugins/schema";

/** How long a verified bearer token is believed without checking its signature again. */
export const VERIFIED_TOKEN_MAX_AGE_MS = 60_000;
/** Tokens remembered per isolate; the oldest is forgotten first. */
export const VERIFIED_TOKEN_LIMIT = 1000;

/**
 * Bearer tokens this isolate has verified, by their exact text: a signed-in client sends the
 * same token on every call, and verifying it (signature, claims, lifetime) is a fixed cost on
 * each. The same bytes verify the same way until the token expires, so an entry lives until
 * `exp` (the clock skew included) and at most a minute, which bounds how long a key withdrawn
 * from JWKS_URL keeps its tokens accepted here. Only successes are kept: a refused token is
 * checked again on every try.
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, { identity: Identity; until: number }>();

  constructor(
    private readonly limit = VERIFIED_TOKEN_LIMIT,
    private readonly maxAgeMs = VERIFIED_TOKEN_MAX_AGE_MS,
  ) {}

  get(token: string, now = Date.now()): Identity | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    if (now < entry.until) return entry.identity;
    this.#entries.delete(token);
    return undefined;
  }

  /** Keeps `identity` for `token`, verified at `now`, good until `goodUntil` (ms since the epoch). */
  remember(token: string, identity: Identity, goodUntil: number, now = Date.now()): void {
    this.#entries.delete(token);
    if (this.#entries.size >= this.limit) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, { identity, until: Math.min(goodUntil, now + this.maxAgeMs) });
  }
}
