import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";

/**
 * The closed set of ways a call to the plugins worker is refused or fails, each with the
 * tRPC code and the HTTP status it answers with: over /trpc (trpc/init.ts) and on the
 * routes outside it (internal/errors.ts) alike. tRPC has no GONE: a blocked version goes
 * out with NOT_FOUND's JSON-RPC number, `data.code: "GONE"` and status 410.
 */
export const errorCodes = {
  BAD_REQUEST: { trpc: "BAD_REQUEST", status: 400 },
  UNAUTHORIZED: { trpc: "UNAUTHORIZED", status: 401 },
  FORBIDDEN: { trpc: "FORBIDDEN", status: 403 },
  NOT_FOUND: { trpc: "NOT_FOUND", status: 404 },
  CONFLICT: { trpc: "CONFLICT", status: 409 },
  GONE: { trpc: "NOT_FOUND", status: 410 },
  PAYLOAD_TOO_LARGE: { trpc: "PAYLOAD_TOO_LARGE", status: 413 },
  INTERNAL_SERVER_ERROR: { trpc: "INTERNAL_SERVER_ERROR", status: 500 },
  SERVICE_UNAVAILABLE: { trpc: "SERVICE_UNAVAILABLE", status: 503 },
} as const satisfies Record<string, { trpc: TRPC_ERROR_CODE_KEY; status: number }>;

export type ErrorCode = keyof typeof errorCodes;

/** What every procedure and route throws to refuse a call; the message is the client's to read. */
export class RegistryError extends Error {
  override name = "RegistryError";

  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The REST envelope the gateway answers with too: `{"error":{"code","message","requestId"}}`. */
export function errorBody(error: RegistryError, requestId: string) {
  return { error: { code: error.code, message: error.message, requestId } };
}
