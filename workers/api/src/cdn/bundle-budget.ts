import type { Context } from "hono";
import { clientIp } from "../client-ip";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { BUDGETS, retryAfter } from "../rate-limits";

/** Past this many keys, a map is swept (denials) or dropped (unreported counts) to stay bounded. */
const MAX_TRACKED_KEYS = 10_000;

/**
 * Downloads each call to BUNDLE_LIMITER stands for. The binding counts one per call, so its
 * configured limit is the bundle budget divided by this (wrangler.toml: 500 per 10 s is
 * 5,000 downloads); the hot path then pays for a binding call once per this many downloads.
 */
export const BUNDLE_DOWNLOADS_PER_CALL = 10;

/**
 * The bundle budget without an await on the hot path: downloads are counted in this
 * isolate and reported to the binding in steps of BUNDLE_DOWNLOADS_PER_CALL after the
 * answer (`waitUntil`); a client found over budget is refused from memory until its window
 * ends. An abusive client gets a few answers more than its budget; every other download
 * pays two map lookups. One per isolate (see isolate.ts).
 */
export class BundleBudget {
  /** Keys over the bundle budget, until the end of the window in which they went over. */
  readonly #deniedUntil = new Map<string, number>();
  /** Downloads per key not yet reported to the binding. */
  readonly #unreported = new Map<string, number>();

  /** Seconds until a client over the bundle budget may download again; null when it may now. */
  refusal(ip: string | null, now = Date.now()): number | null {
    const key = bundleKey(ip);
    const until = this.#deniedUntil.get(key);
    if (until === undefined) return null;
    if (until > now) return Math.max(1, Math.ceil((until - now) / 1000));
    this.#deniedUntil.delete(key);
    return null;
  }

  /** Counts one download against the client's budget, reporting to the binding every so many. */
  count(limiter: RateLimit | undefined, waitUntil: (promise: Promise<unknown>) => void, ip: string | null): void {
    if (!limiter) return;
    const key = bundleKey(ip);
    const count = (this.#unreported.get(key) ?? 0) + 1;
    if (count < BUNDLE_DOWNLOADS_PER_CALL) {
      if (this.#unreported.size > MAX_TRACKED_KEYS) this.#unreported.clear();
      this.#unreported.set(key, count);
      return;
    }
    this.#unreported.delete(key);
    const now = Date.now();
    if (this.#deniedUntil.size > MAX_TRACKED_KEYS) this.#forgetExpired(now);
    waitUntil(
      limiter.limit({ key }).then((outcome) => {
        if (!outcome.success) this.#deniedUntil.set(key, now + retryAfter(BUDGETS.bundle.period, now) * 1000);
      }),
    );
  }

  #forgetExpired(now: number): void {
    for (const [key, until] of this.#deniedUntil) if (until <= now) this.#deniedUntil.delete(key);
  }
}

function bundleKey(ip: string | null): string {
  return `bundle:ip:${ip ?? "unknown"}`;
}

/** In the app (a download the hot path did not answer): 429 from memory when over budget, else counted. */
export function enforceBundleBudget(
  c: Context<AppEnv>,
  budget: BundleBudget,
  refusalHeaders: Record<string, string>,
): void {
  const ip = clientIp(c.req.raw.headers, c.env);
  const seconds = budget.refusal(ip);
  if (seconds !== null) {
    throw new ApiError("TOO_MANY_REQUESTS", `Too many requests; try again in ${seconds} s`, {
      ...refusalHeaders,
      "retry-after": String(seconds),
    });
  }
  budget.count(c.env.BUNDLE_LIMITER, (promise) => c.executionCtx.waitUntil(promise), ip);
}
