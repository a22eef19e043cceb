import { ConfigError, createLogger } from "@plugins/runtime";
import { type ErrorCode, errorEnvelope, errorStatus, isErrorCode, trpcCodeOf } from "@plugins/schema";
import { TRPCClientError } from "@trpc/client";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { readConfig } from "./config";
import type { AppEnv } from "./env";

const logEvent = createLogger("api");

/** Seconds a client should wait after a 503 that did not say otherwise. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Carries an error of the plugins worker over to the REST envelope with the same code
 * (`data.code`, GONE for a blocked version) and message.
 */
export function fromPluginsWorker(error: TRPCClientError<never>, headers: Record<string, string> = {}): ApiError {
  // The call never reached an answer (the gateway's deadline): that refusal, as it was.
  if (error.cause instanceof ApiError) return new ApiError(error.cause.code, error.cause.message, headers);
  const data = error.data as { code?: unknown } | undefined;
  if (isErrorCode(data?.code) && data.code !== "INTERNAL_SERVER_ERROR") {
    return new ApiError(data.code, error.message, headers);
  }
  if (!data) return new ApiError("SERVICE_UNAVAILABLE", "The plugin registry is unavailable", headers);
  return new ApiError("INTERNAL_SERVER_ERROR", "Internal error", headers);
}

/**
 * The refusal a route of the plugins worker outside /trpc answered, in the REST envelope, with
 * its code and message. An answer that is not one (the worker failed before answering) means
 * the registry is unavailable; an internal error never shows its message.
 */
export async function fromPluginsRoute(response: Response, headers: Record<string, string> = {}): Promise<ApiError> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: unknown; message?: unknown } } | null;
  const code = body?.error?.code;
  const message = body?.error?.message;
  if (code === "INTERNAL_SERVER_ERROR") return new ApiError("INTERNAL_SERVER_ERROR", "Internal error", headers);
  if (isErrorCode(code) && typeof message === "string") return new ApiError(code, message, headers);
  return new ApiError("SERVICE_UNAVAILABLE", "The plugin registry is unavailable", headers);
}

/**
 * The error body: the REST envelope, or on `/trpc` the shape a tRPC client reads, so a
 * frontend told "sign in again" by the gateway sees UNAUTHORIZED like any other error.
 */
export function errorResponse(c: Context<AppEnv>, error: ApiError) {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  const status = errorStatus[error.code];
  // Whatever the route would let a cache keep, an outage or a spent budget is never kept.
  if (status >= 500 || status === 429) c.header("cache-control", "no-store");
  if (error.code === "SERVICE_UNAVAILABLE" && !("retry-after" in error.headers)) {
    c.header("retry-after", String(UNAVAILABLE_RETRY_AFTER_SECONDS));
  }
  const requestId = c.get("requestId");
  if (c.req.path.startsWith("/trpc/")) {
    const path = c.req.path.slice("/trpc/".length);
    return c.json(
      {
        error: {
          message: error.message,
          code: TRPC_ERROR_CODES_BY_KEY[trpcCodeOf(error.code)],
          data: { code: error.code, httpStatus: status, path, requestId },
        },
      },
      status,
    );
  }
  return c.json(errorEnvelope(error.code, error.message, requestId), status);
}

/** The one place a thrown error becomes a response: `{"error":{"code","message","requestId"}}`. */
export function onError(error: Error, c: Context<AppEnv>) {
  if (error instanceof ApiError) return errorResponse(c, error);
  if (error instanceof TRPCClientError) return errorResponse(c, fromPluginsWorker(error));
  if (error instanceof HTTPException && error.status < 500) {
    const code = Object.entries(errorStatus).find(([, status]) => status === error.status)?.[0];
    return errorResponse(c, new ApiError(isErrorCode(code) ? code : "BAD_REQUEST", error.message || "Bad request"));
  }
  if (error instanceof ConfigError) {
    // Var names and a var's value, never a secret's: see config-vars.ts in @plugins/runtime.
    logEvent("error", "config_invalid", { requestId: c.get("requestId"), message: error.message });
    return errorResponse(c, new ApiError("INTERNAL_SERVER_ERROR", `Server misconfigured: ${error.message}`));
  }
  logEvent("error", "unhandled_error", { requestId: c.get("requestId"), message: error.message, stack: error.stack });
  // Valid: requireValidConfig ran before anything that can fail.
  const message = readConfig(c.env).exposeErrors ? error.message : "Internal error";
  return errorResponse(c, new ApiError("INTERNAL_SERVER_ERROR", message));
}
