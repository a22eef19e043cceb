import { z } from "zod";

/** The longest `If-None-Match` a conditional read takes; a gateway drops a longer one. */
export const MAX_IF_NONE_MATCH = 1024;

/** The client's `If-None-Match`: when it names the current ETag, no body is sent back. */
export const ifNoneMatchSchema = z.string().max(MAX_IF_NONE_MATCH).optional();

/**
 * The `If-None-Match` worth forwarding: a validator list too long for the procedure's input is
 * simply not used, since a plain 200 is a correct answer to it.
 */
export function usableIfNoneMatch(header: string | undefined): string | undefined {
  return header && header.length <= MAX_IF_NONE_MATCH ? header : undefined;
}
