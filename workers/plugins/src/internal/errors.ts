import type { ErrorHandler, NotFoundHandler } from "hono";
import { DATABASE_RETRY_AFTER_SECONDS, databaseOutage } from "../lib/database";
import { logEvent } from "../lib/log";
import type { PluginsApp } from "./identity";

export const routeNotFound: NotFoundHandler<PluginsApp> = (c) =>
  c.json({ error: { code: "NOT_FOUND", message: "No such route" } }, 404);

/** The internal routes outside /trpc: an outage is a 503 the gateway passes on, anything else a 500. */
export const routeFailed: ErrorHandler<PluginsApp> = (error, c) => {
  const outage = databaseOutage(error);
  if (outage) {
    return c.json({ error: { code: "SERVICE_UNAVAILABLE", message: outage.message } }, 503, {
      "retry-after": String(DATABASE_RETRY_AFTER_SECONDS),
    });
  }
  logEvent("error", "route_failed", { route: c.req.path, message: error.message, stack: error.stack });
  return c.json({ error: { code: "INTERNAL_SERVER_ERROR", message: "Internal error" } }, 500);
};
