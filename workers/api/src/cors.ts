import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env";
import { isolateOf } from "./isolate";

/**
 * CORS for the API and tRPC: only origins in the allowlist (CORS_ORIGINS) may call them from
 * a page, with the headers a typed client sends. Bundle paths answer `*` on their own.
 */
export const apiCors = createMiddleware<AppEnv>((c, next) =>
  cors({
    origin: (origin) => (isolateOf(c.env).corsOrigins.has(origin) ? origin : null),
    allowMethods: ["GET", "POST", "OPTIONS"],
    allowHeaders: ["authorization", "content-type", "x-tenant-id", "trpc-accept"],
    exposeHeaders: ["x-request-id", "retry-after"],
    maxAge: 600,
  })(c, next),
);
