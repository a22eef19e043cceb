import { bigint, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** One row per mutation: who did what to which resource, from where, in which request. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull().defaultNow(),
    actorId: text("actor_id").notNull(),
    actorRole: text("actor_role").notNull(),
    tenantId: text("tenant_id"),
    action: text("action").notNull(),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    requestId: text("request_id").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  // Pages are read newest first by id, per tenant.
  (table) => [index("audit_log_tenant_id_idx").on(table.tenantId, table.id)],
);
