import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { clientIp } from "./client-ip";
import type { AppEnv } from "./env";
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
 * Whose budget is spent: the client's address, before any bearer token is read (redeeming
 * a publish token asks the database, so a forged one must cost its sender a request
 * first), or the signed-in user's, once `authenticate` has verified who that is (a guest
 * has none).
 */
export type Spender = "client" | "user";

interface BudgetOptions {
  /** Headers of the 429 besides Retry-After (a bundle route's CORS and cache headers). */
  refusalHeaders?: Record<string, string>;
  /** How many calls the request stands for: one, or each call of a tRPC batch. */
  calls?: number;
  spenders?: readonly Spender[];
}

/**
 * Counts `calls` against `budget` for each of `spenders`: the client's IP and, when
 * signed in, the user; either exhausted answers 429 with Retry-After, and then none of
 * the calls may run. The binding counts one per `limit()`, so a batch asks it once per
 * call. Each request spends each budget once: the middlewares of index.ts, or the bundle
 * routes for floating references. Without the binding (a deployment that has not
 * configured it) nothing is limited.
 */
export async function enforceBudget(
  c: Context<AppEnv>,
  budget: Budget,
  { refusalHeaders = {}, calls = 1, spenders = ["client", "user"] }: BudgetOptions = {},
): Promise<void> {
  const { binding, period } = BUDGETS[budget];
  const limiter = c.env[binding];
  if (!limiter) return;
  const identity = c.get("identity");
  const keys: string[] = [];
  if (spenders.includes("client")) keys.push(`ip:${clientIp(c.req.raw.headers, c.env) ?? "unknown"}`);
  if (spenders.includes("user") && identity.role !== "guest") keys.push(`user:${identity.sub}`);
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

/**
 * The budget of a request to /api or /health, spent by `spender`: the client's before
 * `authenticate`, the user's after it.
 */
export function rateLimitApi(spender: Spender) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method !== "OPTIONS") await enforceBudget(c, budgetOf(c.req.method), { spenders: [spender] });
    return next();
  });
}
