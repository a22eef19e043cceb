import { z } from "zod";
import { AUDIT_RESOURCE_TYPES } from "./audit-resource-types";
import { tenantIdSchema } from "./identity";
import { plainText } from "./text";

export { AUDIT_RESOURCE_TYPES, type AuditResourceType } from "./audit-resource-types";

/**
 * Actions are named `kind.verb` (`installation.upgrade`). A filter is one exact name, or a
 * kind ending with its dot (`installation.`) for every action of that kind.
 */
const auditActionFilterSchema = z
  .string()
  .max(100)
  .regex(
    /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*\.?$/,
    "must be an action such as installation.upgrade, or a kind of action ending with a dot such as installation.",
  );

/** Postgres reads every ISO 8601 timestamp except those of year 0 (there is none: 1 BC precedes AD 1). */
const auditTimeSchema = z.iso
  .datetime({ offset: true, error: "must be an ISO 8601 timestamp such as 2026-01-31T12:00:00Z" })
  .refine((value) => !value.startsWith("0000"), "must be a timestamp of year 1 or later");

/** An ISO timestamp's instant to the nanosecond: `Date.parse` keeps milliseconds, Postgres microseconds. */
function nanosecondsOf(value: string): bigint {
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? "";
  const seconds = Math.floor(Date.parse(value) / 1000);
  return BigInt(seconds) * 1_000_000_000n + BigInt(fraction.slice(0, 9).padEnd(9, "0"));
}

export const auditListInputSchema = z
  .object({
    /** Admins may leave it out to read every tenant's entries and the registry's own. */
    tenantId: tenantIdSchema.optional(),
    action: auditActionFilterSchema.optional(),
    resourceType: z.enum(AUDIT_RESOURCE_TYPES).optional(),
    resourceId: plainText().min(1).max(256).optional(),
    /** The user id of whoever did it (a publish token acts as its owner). */
    actor: plainText().min(1).max(256).optional(),
    /** Entries that occurred at or after this instant. */
    since: auditTimeSchema.optional(),
    /** Entries that occurred before this instant. */
    until: auditTimeSchema.optional(),
    /** The `nextCursor` of the previous page, valid for the same tenant and filters only. */
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .refine((input) => !(input.since && input.until && nanosecondsOf(input.since) >= nanosecondsOf(input.until)), {
    path: ["until"],
    message: "must be later than since",
  });
export type AuditListInput = z.infer<typeof auditListInputSchema>;

/** The filters of a listing, which a cursor of that listing carries. */
export type AuditFilters = Omit<AuditListInput, "cursor" | "limit">;
