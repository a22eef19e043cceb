import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { type HeldUpdate, installationStatuses, updatePolicies } from "../installations";
import { plugins } from "./plugins";

export const installationStatus = pgEnum("installation_status", installationStatuses);
export const updatePolicy = pgEnum("update_policy", updatePolicies);

/** A plugin installed for a tenant under its own instance id, pinned to an exact version. */
export const installations = pgTable(
  "installations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: text("tenant_id").notNull(),
    instanceId: text("instance_id").notNull(),
    pluginId: text("plugin_id")
      .notNull()
      .references(() => plugins.id),
    version: text("version").notNull(),
    /** The version before the last upgrade, which `rollback` returns to. */
    previousVersion: text("previous_version"),
    updatePolicy: updatePolicy("update_policy").notNull().default("pinned"),
    status: installationStatus("status").notNull().default("installed"),
    /** Bumped by every change: the optimistic-concurrency token clients send back. */
    revision: integer("revision").notNull().default(1),
    /** The configuration without its secret fields, defaults applied. */
    config: jsonb("config").$type<Record<string, unknown>>().notNull().default({}),
    /** The secret fields, sealed with AES-GCM under the worker's key; never returned. */
    sealedSecrets: text("sealed_secrets"),
    /** The names of the secret fields that hold a value, so callers can tell without reading them. */
    secretsSet: text("secrets_set").array().notNull().default(sql`'{}'::text[]`),
    /**
     * The update the policy admits and the instance could not take, as the latest pass that
     * tried found it (installations/follow-updates.ts); null when none is held.
     */
    heldUpdate: jsonb("held_update").$type<HeldUpdate>(),
    installedBy: text("installed_by").notNull(),
    installedAt: timestamp("installed_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    uninstalledAt: timestamp("uninstalled_at", { withTimezone: true }),
  },
  (table) => [
    // One live instance per id; uninstalled ones stay beside it as history.
    uniqueIndex("installations_tenant_instance_live_idx")
      .on(table.tenantId, table.instanceId)
      .where(sql`${table.status} <> 'uninstalled'`),
    index("installations_tenant_idx").on(table.tenantId, table.installedAt),
    index("installations_plugin_live_idx").on(table.pluginId).where(sql`${table.status} <> 'uninstalled'`),
  ],
);
export type Installation = typeof installations.$inferSelect;

/** Instances not uninstalled; the same predicate as the partial indexes above, so they serve it. */
export const liveInstallation = sql`${installations.status} <> 'uninstalled'`;

/** An instance as callers see it: never the sealed secrets, only which are set. */
export type InstanceView = Omit<Installation, "sealedSecrets">;
