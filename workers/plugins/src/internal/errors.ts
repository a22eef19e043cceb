import { createLogger } from "@plugins/runtime";
import { errorEnvelope, errorStatus, type InternalClaims } from "@plugins/schema";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { DATABASE_RETRY_AFTER_SECONDS, databaseOutage } from "../lib/database";
import { RegistryError } from "../lib/errors";
import type { PluginsApp } from "./identity";

const logEvent = createLogger("plugins");

/**
 * The id an error body and its log line carry: the gateway's, once its token is verified;
 * before that (or on the bundle route, which takes no token) one of this worker's own,
 * since an id nobody vouched for is not believed.
 */
function requestIdOf(c: Context<PluginsApp>): string {
  const claims: InternalClaims | undefined = c.get("claims");
  return claims?.request.requestId ?? crypto.randomUUID();
}

/** An error of the routes outside /trpc: the gateway's envelope, at the status of its code. */
function errorAnswer(c: Context<PluginsApp>, error: RegistryError, requestId = requestIdOf(c)) {
  return c.json(errorEnvelope(error.code, error.message, requestId), errorStatus[error.code]);
}

export const routeNotFound: NotFoundHandler<PluginsApp> = (c) =>
  errorAnswer(c, new RegistryError("NOT_FOUND", "No such route"));

/**
 * The routes outside /trpc throw a RegistryError to refuse; an outage is a 503 the gateway
 * passes on, anything else a 500.
 */
export const routeFailed: ErrorHandler<PluginsApp> = (error, c) => {
  if (error instanceof RegistryError) return errorAnswer(c, error);
  const outage = databaseOutage(error);
  if (outage) {
    c.header("retry-after", String(DATABASE_RETRY_AFTER_SECONDS));
    return errorAnswer(c, new RegistryError("SERVICE_UNAVAILABLE", outage.message));
  }
  const requestId = requestIdOf(c);
  logEvent("error", "route_failed", { requestId, route: c.req.path, message: error.message, stack: error.stack });
  return errorAnswer(c, new RegistryError("INTERNAL_SERVER_ERROR", "Internal error"), requestId);
};
