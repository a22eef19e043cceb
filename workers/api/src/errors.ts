import { ConfigError, createLogger } from "@plugins/runtime";
import { TRPCClientError } from "@trpc/client";
import { type TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { readConfig } from "./config";
import type { AppEnv } from "./env";

const logEvent = createLogger("api");

/** The closed set of error codes a REST client can see, and the status each one answers with. */
export const errorStatus = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_SUPPORTED: 405,
  CONFLICT: 409,
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof errorStatus;

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

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && code in errorStatus;
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
    // tRPC has no GONE: it keeps NOT_FOUND's JSON-RPC number, as the plugins worker sends it.
    const rpcCode = error.code in TRPC_ERROR_CODES_BY_KEY ? (error.code as TRPC_ERROR_CODE_KEY) : "NOT_FOUND";
    const path = c.req.path.slice("/trpc/".length);
    return c.json(
      {
        error: {
          message: error.message,
          code: TRPC_ERROR_CODES_BY_KEY[rpcCode],
          data: { code: error.code, httpStatus: status, path, requestId },
        },
      },
      status,
    );
  }
  return c.json({ error: { code: error.code, message: error.message, requestId } }, status);
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
