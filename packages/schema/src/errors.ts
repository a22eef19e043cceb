/**
 * The platform's error codes: `error.code` of a REST body, `data.code` of a tRPC error. Both
 * workers refuse with these and no others, each at the HTTP status beside it.
 */
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
  /** A plugin's server module answered what cannot be passed on (over the size limit, not a Response). */
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
  /** A plugin's server module did not answer within the engine's deadline. */
  GATEWAY_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(errorStatus, code);
}

/**
 * The tRPC code an error goes out under. tRPC has no GONE: a blocked version keeps NOT_FOUND's
 * JSON-RPC number, with `data.code: "GONE"` and status 410.
 */
export function trpcCodeOf(code: ErrorCode): Exclude<ErrorCode, "GONE"> {
  return code === "GONE" ? "NOT_FOUND" : code;
}

/** The REST error envelope, `{"error":{"code","message","requestId"}}`. */
export function errorEnvelope(code: ErrorCode, message: string, requestId: string) {
  return { error: { code, message, requestId } };
}
