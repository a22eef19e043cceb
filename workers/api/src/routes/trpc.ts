import { internalToken } from "@plugins/schema";
import type { Context, Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { readConfig } from "../config";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { callPlugins, internalClaims, mintInternalToken, PLUGINS_ORIGIN } from "../plugins-client";
import { budgetOf, enforceBudget, type Spender } from "../rate-limits";
import { limitBody } from "../request-limits";

/** Only these request headers cross to the plugins worker; everything else a client sent stays here. */
const FORWARDED_HEADERS = ["content-type", "accept", "trpc-accept"];

/**
 * Calls one request may batch (`/trpc/a,b,c?batch=1`): more than a frontend's page asks for at
 * once, few enough that a batch cannot stand for a flood. `httpBatchLink({ maxItems: 50 })`
 * (and `httpBatchStreamLink`) split a client's batches to fit.
 */
export const MAX_BATCH_CALLS = 50;

/**
 * The calls tRPC will run for this request, read as tRPC reads them: with `batch=1`, the
 * percent-decoded path split on commas (so `%2C` separates too); otherwise one.
 */
function callsIn(c: Context<AppEnv>): number {
  const url = new URL(c.req.url);
  if (url.searchParams.get("batch") !== "1") return 1;
  const path = url.pathname.slice("/trpc/".length);
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // tRPC refuses a path it cannot decode; until then, its raw commas are what it holds.
  }
  return decoded.split(",").length;
}

/** Refuses a batch of more than MAX_BATCH_CALLS calls before anything is counted or run. */
export const limitTrpcBatch = createMiddleware<AppEnv>(async (c, next) => {
  const calls = callsIn(c);
  if (c.req.method !== "OPTIONS" && calls > MAX_BATCH_CALLS) {
    throw new ApiError(
      "BAD_REQUEST",
      `A tRPC batch may hold at most ${MAX_BATCH_CALLS} calls; this one has ${calls} (httpBatchLink's maxItems splits batches)`,
    );
  }
  return next();
});

/**
 * The budgets of `/trpc`, spent by `spender` (the client's before `authenticate`, the
 * user's after it): every call of a batch counts, writes for a POST (mutations), reads
 * for a GET (queries), streamed or not, so a batch over budget is refused before any of
 * its calls reaches the plugins worker.
 */
export function budgetTrpcCalls(spender: Spender) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method !== "OPTIONS") {
      await enforceBudget(c, budgetOf(c.req.method), { calls: callsIn(c), spenders: [spender] });
    }
    return next();
  });
}

/**
 * `/trpc` for frontends: the plugins worker's router, reached with the caller's verified
 * identity. Frontends type their client with `AppRouter` from `@plugins/api/client`.
 */
export function registerTrpc(app: Hono<AppEnv>) {
  app.on(["GET", "POST"], "/trpc/*", limitBody, async (c) => {
    const headers = new Headers();
    for (const name of FORWARDED_HEADERS) {
      const value = c.req.header(name);
      if (value) headers.set(name, value);
    }
    headers.set(
      internalToken.header,
      await mintInternalToken(internalClaims(c), readConfig(c.env).internalTokenSecret),
    );
    const url = new URL(c.req.url);
    const upstream = await callPlugins(c, `${PLUGINS_ORIGIN}${url.pathname}${url.search}`, {
      method: c.req.method,
      headers,
      body: c.req.method === "GET" ? undefined : await c.req.arrayBuffer(),
    });
    return new Response(upstream.body, upstream);
  });
}
