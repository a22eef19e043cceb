import type { ErrorCode } from "@plugins/schema";

/**
 * What every procedure and route throws to refuse a call, with one of the platform's error
 * codes (`@plugins/schema`, which gives each its HTTP status); the message is the client's to
 * read. trpc/init.ts maps it for /trpc, internal/errors.ts for the routes outside it.
 */
export class RegistryError extends Error {
  override name = "RegistryError";

  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
