import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { clientIp } from "./client-ip";
import type { AppEnv, Env } from "./env";
import { ApiError } from "./errors";

/**
 * The budgets, one Workers rate-limiting binding each (see wrangler.toml): writes are
 * scarce, reads less so, and bundle downloads, the CDN's whole point, get a budget far
 * larger than either. Periods are what the binding supports: 10 or 60 seconds.
 */
export const BUDGETS = {
  write: { binding: "WRITE_LIMITER", period: 60 },
  read: { binding: "READ_LIMITER", period: 60 },
  bundle: { binding: "BUNDLE_LIMITER", period: 10 },
} as const satisfies Record<string, { binding: keyof Env; period: 10 | 60 }>;

export type Budget = keyof typeof BUDGETS;

/** Seconds until the fixed window in which the limit was reached ends. */
function retryAfter(period: number, now = Date.now()): number {
  return Math.max(1, period - (Math.floor(now / 1000) % period));
}

/**
 * Counts `calls` (one per request, but each call of a tRPC batch) against `budget` for the
 * client's IP and, when signed in, for the user as well; either exhausted answers 429 with
 * Retry-After, and then none of the calls may run. The binding counts one per `limit()`, so
 * a batch asks it once per call. Without the binding (a deployment that has not configured
 * it) nothing is limited.
 */
export async function enforceBudget(
  c: Context<AppEnv>,
  budget: Budget,
  refusalHeaders: Record<string, string> = {},
  calls = 1,
): Promise<void> {
  const { binding, period } = BUDGETS[budget];
  const limiter = c.env[binding];
  if (!limiter) return;
  const identity = c.get("identity");
  const keys = [`ip:${clientIp(c.req.raw.headers, c.env) ?? "unknown"}`];
  if (identity.role !== "guest") keys.push(`user:${identity.sub}`);
  const outcomes = await Promise.all(
    keys.flatMap((key) => Array.from({ length: calls }, () => limiter.limit({ key: `${budget}:${key}` }))),
  );
  if (outcomes.every((outcome) => outcome.success)) return;
  throw new ApiError("TOO_MANY_REQUESTS", `Too many requests; try again in ${retryAfter(period)} s`, {
    ...refusalHeaders,
    "retry-after": String(retryAfter(period)),
  });
}

/** Keys over the bundle budget, until the end of the window in which they went over. */
const deniedUntil = new Map<string, number>();
/** Downloads per key not yet reported to the binding. */
const unreported = new Map<string, number>();
/** Past this many keys, a map is swept (denials) or dropped (unreported counts) to stay bounded. */
const MAX_TRACKED_KEYS = 10_000;

/**
 * Downloads each call to BUNDLE_LIMITER stands for. The binding counts one per call, so its
 * configured limit is the bundle budget divided by this (wrangler.toml: 500 per 10 s is
 * 5,000 downloads); the hot path then pays for a binding call once per this many downloads.
 */
export const BUNDLE_DOWNLOADS_PER_CALL = 10;

function forgetExpired(now: number): void {
  for (const [key, until] of deniedUntil) if (until <= now) deniedUntil.delete(key);
}

/**
 * The bundle budget without an await on the hot path: downloads are counted in this
 * isolate and reported to the binding in steps of BUNDLE_DOWNLOADS_PER_CALL after the
 * answer (`waitUntil`); a client found over budget is refused from memory until its window
 * ends. An abusive client gets a few answers more than its budget; every other download
 * pays two map lookups.
 */
export function enforceBundleBudget(c: Context<AppEnv>, refusalHeaders: Record<string, string>): void {
  const ip = clientIp(c.req.raw.headers, c.env);
  const seconds = bundleRefusal(ip);
  if (seconds !== null) {
    throw new ApiError("TOO_MANY_REQUESTS", `Too many requests; try again in ${seconds} s`, {
      ...refusalHeaders,
      "retry-after": String(seconds),
    });
  }
  countBundleDownload(c.env, (promise) => c.executionCtx.waitUntil(promise), ip);
}

function bundleKey(ip: string | null): string {
  return `bundle:ip:${ip ?? "unknown"}`;
}

/** Seconds until a client over the bundle budget may download again; null when it may now. */
export function bundleRefusal(ip: string | null, now = Date.now()): number | null {
  const key = bundleKey(ip);
  const until = deniedUntil.get(key);
  if (until === undefined) return null;
  if (until > now) return Math.max(1, Math.ceil((until - now) / 1000));
  deniedUntil.delete(key);
  return null;
}

/** Counts one download against the client's bundle budget, reporting to the binding every so many. */
export function countBundleDownload(env: Env, waitUntil: (promise: Promise<unknown>) => void, ip: string | null) {
  const limiter = env.BUNDLE_LIMITER;
  if (!limiter) return;
  const key = bundleKey(ip);
  const count = (unreported.get(key) ?? 0) + 1;
  if (count < BUNDLE_DOWNLOADS_PER_CALL) {
    if (unreported.size > MAX_TRACKED_KEYS) unreported.clear();
    unreported.set(key, count);
    return;
  }
  unreported.delete(key);
  const now = Date.now();
  if (deniedUntil.size > MAX_TRACKED_KEYS) forgetExpired(now);
  waitUntil(
    limiter.limit({ key }).then((outcome) => {
      if (!outcome.success) deniedUntil.set(key, now + retryAfter(BUDGETS.bundle.period, now) * 1000);
    }),
  );
}

/** Writes for POST, reads otherwise. */
export function budgetOf(method: string): Budget {
  return method === "POST" ? "write" : "read";
}

export const rateLimitApi = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method !== "OPTIONS") await enforceBudget(c, budgetOf(c.req.method));
  return next();
});
