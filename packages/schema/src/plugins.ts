import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import semver from "semver";
import { z } from "zod";

/**
 * Plugin ids appear in URLs and R2 keys, so they are restricted to a slug in which
 * separators never repeat: no "..", no "/", nothing that needs escaping.
 */
export const pluginIdSchema = z
  .string()
  .max(64, "must be at most 64 characters")
  .regex(/^[a-z0-9]+(?:[-_.][a-z0-9]+)*$/, "must be lowercase letters and digits separated by single '-', '_' or '.'");

/** A semver version, normalized the way npm does (`v1.2.3` → `1.2.3`, build metadata dropped). */
export const versionSchema = z
  .string()
  .max(64, "must be at most 64 characters")
  .transform((value, ctx) => {
    const normalized = semver.valid(value.trim());
    if (!normalized) {
      ctx.addIssue({ code: "custom", message: `"${value}" is not a semver version like 1.2.3` });
      return z.NEVER;
    }
    return normalized;
  });

/** A version reference a client may ask for: `latest`, an exact version or a semver range. */
export const versionRangeSchema = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .refine((value) => value === "latest" || semver.validRange(value) !== null, {
    message: "must be 'latest', a version or a semver range",
  });

const labelSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.:-]{0,63}$/, "must be a lowercase name (a-z, 0-9, '.', ':', '-')");

/** What a publisher states about a version, sent as `metadata` beside the bundle. */
export const pluginMetadataSchema = z.strictObject({
  id: pluginIdSchema,
  name: z.string().trim().min(1, "must not be empty").max(100),
  version: versionSchema,
  description: z.string().max(2000).default(""),
  category: labelSchema,
  extensionPoints: z.array(labelSchema).max(50).default([]),
});
export type PluginMetadata = z.infer<typeof pluginMetadataSchema>;

/** The `metadata` form field: a JSON string holding the plugin metadata. */
export const pluginMetadataJsonSchema = z
  .string()
  .max(64 * 1024, "must be at most 64 KiB")
  .transform((text, ctx): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({ code: "custom", message: "is not valid JSON" });
      return z.NEVER;
    }
  })
  .pipe(pluginMetadataSchema);

export const plugins = pgTable(
  "plugins",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    category: text("category").notNull(),
    extensionPoints: text("extension_points").array().notNull().default(sql`'{}'::text[]`),
    ownerId: text("owner_id").notNull(),
    /** Highest published non-prerelease version (or highest prerelease when there is none). */
    latestVersion: text("latest_version"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("plugins_category_idx").on(table.category)],
);

export const versionStatus = pgEnum("version_status", ["published", "yanked", "blocked"]);

export const pluginVersions = pgTable(
  "plugin_versions",
  {
    pluginId: text("plugin_id")
      .notNull()
      .references(() => plugins.id),
    version: text("version").notNull(),
    manifest: jsonb("manifest").$type<PluginMetadata>().notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    /** Subresource Integrity of the entry file, `sha384-<base64>`. */
    integrity: text("integrity").notNull(),
    r2Key: text("r2_key").notNull(),
    status: versionStatus("status").notNull().default("published"),
    publishedAt: timestamp("published_at", { withTimezone: true }).notNull().defaultNow(),
    publishedBy: text("published_by").notNull(),
  },
  (table) => [primaryKey({ columns: [table.pluginId, table.version] })],
);

export const resolveInputSchema = z.object({ pluginId: pluginIdSchema, range: versionRangeSchema.default("latest") });
export const pluginRefSchema = z.object({ pluginId: pluginIdSchema });

/**
 * A file path inside a published version, as it appears in a bundle URL. Segments are
 * plain names: no "..", no ".", no empty segment, no backslash or control character.
 */
export const bundleFilePathSchema = z
  .string()
  .min(1)
  .max(512)
  .refine(
    (path) =>
      path.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..") &&
      !hasControlOrBackslash(path),
    { message: "must be a relative path of plain names (no '..', '.', empty segments or backslashes)" },
  );

function hasControlOrBackslash(path: string): boolean {
  for (const char of path) {
    const code = char.charCodeAt(0);
    if (char === "\\" || code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** R2 keys derive from the URL, so the immutable path never needs Postgres to find the bytes. */
export function bundleObjectKey(pluginId: string, version: string, path: string): string {
  return `${pluginId}/${version}/${path}`;
}

/** The public, immutable URL path of a file of a published version. */
export function bundleUrlPath(pluginId: string, version: string, path: string): string {
  return `/plugins/bundles/${pluginId}/v${version}/${path}`;
}

/** The single file of a one-file bundle upload. */
export const SINGLE_FILE_ENTRY = "bundle.js";
