import { decodeBase64, encodeBase64url } from "@plugins/runtime";
import { pluginIdSchema, type SearchSort } from "@plugins/schema";
import { z } from "zod";
import { RegistryError } from "../lib/errors";

/**
 * Where the previous page of a listing ended: the last row's id and, in the orders other than
 * `name`, its sort key (`rank`: a `real`; `updated`: microseconds since 1970; `downloads`: the
 * total). It names the sort and the query it was made for, because a key of one order is no
 * position in another (a rank means nothing for other words). Every key is checked here to be
 * a value Postgres takes as it is cast (search.ts), so a tampered cursor is a 400, never a 500.
 */
const query = z.string().max(200).optional();
const cursorSchema = z.discriminatedUnion("sort", [
  z.object({ sort: z.literal("name"), query, id: pluginIdSchema }),
  z.object({ sort: z.literal("relevance"), query, key: z.number().refine(fitsReal), id: pluginIdSchema }),
  // A safe integer of microseconds is a timestamp between the years 1684 and 2255: Postgres holds them all.
  z.object({ sort: z.literal("updated"), query, key: z.int(), id: pluginIdSchema }),
  z.object({ sort: z.literal("downloads"), query, key: z.int().min(0), id: pluginIdSchema }),
]);
export type SearchCursor = z.infer<typeof cursorSchema>;

/** The listing a cursor pages: its order and its words (none: undefined). */
export interface Listing {
  sort: SearchSort;
  query: string | undefined;
}

/** Postgres refuses a `real` that overflows or underflows to zero; a tampered cursor must not reach it. */
function fitsReal(value: number): boolean {
  const single = Math.fround(value);
  return Number.isFinite(single) && (value === 0 || single !== 0);
}

export function encodeCursor(cursor: SearchCursor): string {
  return encodeBase64url(new TextEncoder().encode(JSON.stringify(cursor)));
}

/** The cursor `text` holds, if it was made for `listing`; a 400 naming `cursor` otherwise. */
export function decodeCursor(text: string, listing: Listing): SearchCursor {
  let cursor: SearchCursor;
  try {
    cursor = cursorSchema.parse(JSON.parse(new TextDecoder().decode(decodeBase64(text))));
  } catch {
    throw new RegistryError("BAD_REQUEST", "cursor: not a cursor returned by a previous page");
  }
  if (cursor.sort !== listing.sort || cursor.query !== listing.query) {
    throw new RegistryError(
      "BAD_REQUEST",
      `cursor: it continues a listing of another sort or query (sort "${cursor.sort}"); start again without a cursor`,
    );
  }
  return cursor;
}
