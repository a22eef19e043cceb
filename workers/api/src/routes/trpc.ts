import { internalToken } from "@plugins/schema";
import type { Hono } from "hono";
import type { AppEnv } from "../env";
import { callPlugins, internalClaims, mintInternalToken, PLUGINS_ORIGIN } from "../plugins-client";
import { limitBody } from "../request-limits";

/** Only these request headers cross to the plugins worker; everything else a client sent stays here. */
const FORWARDED_HEADERS = ["content-type", "accept", "trpc-accept"];

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
    headers.set(internalToken.header, await mintInternalToken(internalClaims(c), c.env.INTERNAL_TOKEN_SECRET));
    const url = new URL(c.req.url);
    const upstream = await callPlugins(c, `${PLUGINS_ORIGIN}${url.pathname}${url.search}`, {
      method: c.req.method,
      headers,
      body: c.req.method === "GET" ? undefined : await c.req.arrayBuffer(),
    });
    return new Response(upstream.body, upstream);
  });
}
