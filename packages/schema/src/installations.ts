import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { z } from "zod";
import { tenantIdSchema } from "./identity";
import { isTooDeepJson, jsonDepthIssue } from "./json-depth";
import { pluginIdSchema, plugins, versionReferenceSchema } from "./plugins";
import { isStorableJson, storableJsonIssue } from "./text";

/**
 * An instance's lifecycle: installed → active ⇄ inactive → uninstalled. Uninstalled rows are
 * kept as history; their instance id may be installed again.
 */
export const installationStatus = pgEnum("installation_status", ["installed", "active", "inactive", "uninstalled"]);
export type InstallationStatus = (typeof installationStatus.enumValues)[number];

/**
 * Which newly published versions an instance follows by itself: none (`pinned`), patches of
 * its minor (`~`), anything compatible (`^`, so 0.x follows patches only), or the `latest` tag.
 */
export const updatePolicy = pgEnum("update_policy", ["pinned", "patch", "minor", "latest"]);
export type UpdatePolicy = (typeof updatePolicy.enumValues)[number];

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

const instanceIdSchema = pluginIdSchema;

/**
 * A configuration object; checked against the installed version's config JSON Schema. The
 * depth is checked first, and stops the checks after it: they serialize the config.
 */
export const instanceConfigSchema = z
  .record(z.string(), z.unknown())
  .refine((config) => !isTooDeepJson(config), { message: jsonDepthIssue, abort: true })
  .refine((config) => JSON.stringify(config).length <= 64 * 1024, { message: "must be at most 64 KiB" })
  .refine(isStorableJson, { message: storableJsonIssue });

export const installInputSchema = z.object({
  tenantId: tenantIdSchema,
  pluginId: pluginIdSchema,
  /** Defaults to the plugin id; lets a tenant run one plugin several times (`dropbox-main`, `dropbox-archive`). */
  instanceId: instanceIdSchema.optional(),
  /** A tag, exact version or range, resolved once, at install time. */
  version: versionReferenceSchema.default("latest"),
  updatePolicy: z.enum(updatePolicy.enumValues).default("pinned"),
  config: instanceConfigSchema.default({}),
  /** Activate right away instead of stopping at `installed`. */
  activate: z.boolean().default(false),
});
export type InstallInput = z.input<typeof installInputSchema>;

export const tenantRefSchema = z.object({ tenantId: tenantIdSchema });

export const listInstancesInputSchema = tenantRefSchema.extend({
  /** Include uninstalled instances, the tenant's history. */
  includeUninstalled: z.boolean().default(false),
});

export const instanceRefSchema = tenantRefSchema.extend({ instanceId: instanceIdSchema });

/**
 * A change to one instance. `revision`, when given, must be the instance's current one (as
 * with If-Match); without it the change applies to the revision the server reads, and a
 * concurrent change still makes one of the two fail with CONFLICT.
 */
export const instanceChangeSchema = instanceRefSchema.extend({ revision: z.number().int().positive().optional() });

export const configureInputSchema = instanceChangeSchema.extend({
  /**
   * The whole configuration. A secret field left out keeps its stored value; a secret field
   * set to `null` is removed.
   */
  config: instanceConfigSchema,
});

export const upgradeInputSchema = instanceChangeSchema.extend({
  /** Where to move the instance: a tag, an exact version or a range, higher or lower. */
  version: versionReferenceSchema,
  /**
   * The config to take with the move, for a version the current config does not fit; as in
   * `configure`, a secret left out keeps its value. Without it, the current config moves.
   */
  config: instanceConfigSchema.optional(),
});

export const setUpdatePolicyInputSchema = instanceChangeSchema.extend({
  updatePolicy: z.enum(updatePolicy.enumValues),
});

export const resealInputSchema = z.object({
  /** Instances to look at in this call. */
  limit: z.number().int().min(1).max(100).default(50),
  /** The `next` of the previous call: where to go on from. */
  after: z.uuid().optional(),
});
