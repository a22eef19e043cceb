import { decodeBase64, encodeBase64url, sha256 } from "@plugins/runtime";
import type { AuditFilters } from "@plugins/schema";
import { z } from "zod";
import { RegistryError } from "../lib/errors";

/**
 * Where the previous page of the audit log ended: the last entry's id, and a fingerprint of
 * the tenant and filters the page was read with. An id is a position under any filters, but a
 * page of other filters continued from it is no page of what the caller asked for, so a
 * cursor of another listing is refused (as search cursors are) rather than silently mixed.
 * The fingerprint keeps the cursor short whatever the filters' length; it guards against
 * mistakes, not tampering, which could only move a caller within entries it may read anyway.
 */
const cursorSchema = z.strictObject({ id: z.int().positive(), of: z.string().max(64) });

export async function encodeAuditCursor(id: number, filters: AuditFilters): Promise<string> {
  return encodeBase64url(new TextEncoder().encode(JSON.stringify({ id, of: await fingerprint(filters) })));
}

/** The id after which the next page starts, if `text` was made for these filters; a 400 naming `cursor` otherwise. */
export async function decodeAuditCursor(text: string, filters: AuditFilters): Promise<number> {
  let cursor: z.infer<typeof cursorSchema>;
  try {
    cursor = cursorSchema.parse(JSON.parse(new TextDecoder().decode(decodeBase64(text))));
  } catch {
    throw new RegistryError("BAD_REQUEST", "cursor: not a cursor returned by a previous page of the audit log");
  }
  if (cursor.of !== (await fingerprint(filters))) {
    throw new RegistryError(
      "BAD_REQUEST",
      "cursor: it continues a listing of another tenant or other filters; start again without a cursor",
    );
  }
  return cursor.id;
}

/** The filters in a fixed key order, absent ones left out, hashed. */
async function fingerprint(filters: AuditFilters): Promise<string> {
  const { tenantId, action, resourceType, resourceId, actor, since, until } = filters;
  const canonical = JSON.stringify([tenantId, action, resourceType, resourceId, actor, since, until]);
  return encodeBase64url((await sha256(canonical)).slice(0, 16));
}
