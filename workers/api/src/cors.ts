import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { AppEnv, Env } from "./env";

let parsed: { source: string; origins: ReadonlySet<string> } | undefined;

/** CORS_ORIGINS: comma-separated origins allowed to call /api and /trpc from a browser. */
function allowedOrigins(env: Env): ReadonlySet<string> {
  const source = env.CORS_ORIGINS ?? "";
  if (parsed?.source !== source) {
    const origins = source
      .split(",")
      .map((origin) => origin.trim())
      .filter(Boolean);
    parsed = { source, origins: new Set(origins) };
  }
  return parsed.origins;
}

/**
 * CORS for the API and tRPC: only origins in the allowlist may call them from a page,
 * with the headers a typed client sends. Bundle paths answer `*` on their own.
 */
export const apiCors = createMiddleware<AppEnv>((c, next) =>
  cors({
    origin: (origin) => (allowedOrigins(c.env).has(origin) ? origin : null),
    allowMethods: ["GET", "POST", "OPTIONS"],
    allowHeaders: ["authorization", "content-type", "x-tenant-id", "trpc-accept"],
    exposeHeaders: ["x-request-id", "retry-after"],
    maxAge: 600,
  })(c, next),
);
