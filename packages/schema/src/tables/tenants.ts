import { boolean, json, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import type { TenantManifest } from "../tenants";

/** The host application a tenant runs, as it registered itself: its version, checked against `engines.host`. */
export const tenantHosts = pgTable("tenant_hosts", {
  tenantId: text("tenant_id").primaryKey(),
  version: text("version").notNull(),
  updatedBy: text("updated_by").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** An extension point the tenant's host offers, with the version of its contract. */
export const hostExtensionPoints = pgTable(
  "host_extension_points",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenantHosts.tenantId, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    contractVersion: text("contract_version").notNull(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.name] })],
);

/** The manifest as last generated, kept so that reads never recompute it. */
export const tenantManifests = pgTable("tenant_manifests", {
  tenantId: text("tenant_id").primaryKey(),
  /**
   * `json`, not `jsonb`: kept as written, in its field order. Bundle URLs are stored as
   * paths and made absolute when served.
   */
  document: json("document").$type<TenantManifest>().notNull(),
  etag: text("etag").notNull(),
  generatedAt: timestamp("generated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** What a tenant demands of the versions it runs; a tenant without a row demands nothing. */
export const tenantPolicies = pgTable("tenant_policies", {
  tenantId: text("tenant_id").primaryKey(),
  /** Only versions signed by a listed, unexpired key may be installed, upgraded to or served. */
  requireSignatures: boolean("require_signatures").notNull().default(false),
  updatedBy: text("updated_by").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
