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
export function retryAfter(period: number, now = Date.now()): number {
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

/** Writes for POST, reads otherwise. */
export function budgetOf(method: string): Budget {
  return method === "POST" ? "write" : "read";
}

export const rateLimitApi = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method !== "OPTIONS") await enforceBudget(c, budgetOf(c.req.method));
  return next();
});
