import { createLogger } from "@plugins/runtime";
import { guestIdentity } from "@plugins/schema";
import { createMiddleware } from "hono/factory";
import { IMMUTABLE, REQUEST_ID_HEADER } from "./cdn/bundle-responses";
import type { AppEnv } from "./env";

const logEvent = createLogger("api");

/**
 * Gives every request an id (returned as `x-request-id`, carried to the plugins worker)
 * and logs one line per request but immutable bundle hits (the hot path; the platform's
 * own request logs count those); a call to an instance's handler adds the plugin and version
 * that answered, the only line such a call writes unless it failed. A client's own `x-request-id` is not trusted. Every
 * request starts as a guest; `authenticate` replaces that with a verified identity.
 */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const requestId = crypto.randomUUID();
  c.set("requestId", requestId);
  c.set("identity", guestIdentity);
  const started = Date.now();
  await next();
  // Answers from memory carry it already, set when they were built (see answerFromMemory).
  if (!c.res.headers.has(REQUEST_ID_HEADER)) c.res.headers.set(REQUEST_ID_HEADER, requestId);
  if (isImmutableHit(c.res)) return;
  logEvent("info", "request", {
    requestId,
    method: c.req.method,
    route: c.req.routePath,
    status: c.res.status,
    durationMs: Date.now() - started,
    user: c.var.identity.sub,
    tenant: c.var.identity.tenant,
    ...(c.var.engineCall ? { engine: c.var.engineCall } : {}),
  });
});

function isImmutableHit(response: Response): boolean {
  return response.status < 400 && response.headers.get("cache-control") === IMMUTABLE;
}
