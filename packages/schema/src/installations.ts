import { z } from "zod";
import { tenantIdSchema } from "./identity";
import { isTooDeepJson, jsonDepthIssue } from "./json-depth";
import { pluginIdSchema, versionReferenceSchema } from "./plugins";
import { isStorableJson, storableJsonIssue } from "./text";

/**
 * An instance's lifecycle: installed → active ⇄ inactive → uninstalled. Uninstalled rows are
 * kept as history; their instance id may be installed again.
 */
export const installationStatuses = ["installed", "active", "inactive", "uninstalled"] as const;
export type InstallationStatus = (typeof installationStatuses)[number];

/**
 * Which newly published versions an instance follows by itself: none (`pinned`), patches of
 * its minor (`~`), anything compatible (`^`, so 0.x follows patches only), or the `latest` tag.
 */
export const updatePolicies = ["pinned", "patch", "minor", "latest"] as const;
export type UpdatePolicy = (typeof updatePolicies)[number];

/**
 * A version the instance's update policy admits but that it could not move to (its config,
 * the host, the `onUpdate` hook or the tenant's signature policy refused it): which, why, and
 * since when that version has been held (an ISO timestamp).
 */
export interface HeldUpdate {
  version: string;
  reasons: string[];
  heldAt: string;
}

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
  updatePolicy: z.enum(updatePolicies).default("pinned"),
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

/** `installations.exportStorage`: a page of an instance's stored data, in key order after `cursor`. */
export const exportStorageInputSchema = instanceRefSchema.extend({
  cursor: z.string().max(512).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
});

/**
 * `installations.exportSqlRows`: a page of the rows of one table of an instance's SQL database
 * (the tables are named by `exportStorage`), from `offset`.
 */
export const exportSqlRowsInputSchema = instanceRefSchema.extend({
  table: z.string().min(1).max(512),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(1000).default(100),
});

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
  updatePolicy: z.enum(updatePolicies),
});

export const resealInputSchema = z.object({
  /** Instances to look at in this call. */
  limit: z.number().int().min(1).max(100).default(50),
  /** The `next` of the previous call: where to go on from. */
  after: z.uuid().optional(),
});
