import { index, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { z } from "zod";
import { tenantIdSchema } from "./identity";
import { pluginIdSchema, plugins, versionReferenceSchema } from "./plugins";

export const installationStatus = pgEnum("installation_status", ["installed", "active", "inactive", "uninstalled"]);

/** A plugin installed for a tenant, pinned to the exact version resolved at install time. */
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
    status: installationStatus("status").notNull().default("installed"),
    installedBy: text("installed_by").notNull(),
    installedAt: timestamp("installed_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("installations_tenant_instance_idx").on(table.tenantId, table.instanceId),
    index("installations_plugin_idx").on(table.pluginId),
  ],
);

export const installInputSchema = z.object({
  tenantId: tenantIdSchema,
  pluginId: pluginIdSchema,
  /** Defaults to the plugin id; lets a tenant install one plugin several times later on. */
  instanceId: pluginIdSchema.optional(),
  version: versionReferenceSchema.default("latest"),
});
export type InstallInput = z.input<typeof installInputSchema>;

export const tenantRefSchema = z.object({ tenantId: tenantIdSchema });
