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
  // Pages are read newest first by id, per tenant; each filter of `audit.list` has an index
  // that finds its entries within the tenant, in id order where it is an equality, so that a
  // rare action or actor does not walk the whole tenant's log. `text_pattern_ops` lets the
  // action's index serve a kind (`installation.%`) whatever the database's collation.
  (table) => [
    index("audit_log_tenant_id_idx").on(table.tenantId, table.id),
    index("audit_log_tenant_action_idx").on(table.tenantId, table.action.op("text_pattern_ops"), table.id),
    index("audit_log_tenant_resource_type_idx").on(table.tenantId, table.resourceType, table.id),
    index("audit_log_tenant_resource_id_idx").on(table.tenantId, table.resourceId, table.id),
    index("audit_log_tenant_actor_idx").on(table.tenantId, table.actorId, table.id),
    index("audit_log_tenant_occurred_at_idx").on(table.tenantId, table.occurredAt),
  ],
);
