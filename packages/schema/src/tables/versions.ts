import { boolean, foreignKey, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import type { PluginManifest } from "../manifest";
import type { VersionSignature } from "../signatures";
import { versionStatuses } from "../versions";
import { plugins } from "./plugins";

export const versionStatus = pgEnum("version_status", versionStatuses);

export const pluginVersions = pgTable(
  "plugin_versions",
  {
    pluginId: text("plugin_id")
      .notNull()
      .references(() => plugins.id),
    version: text("version").notNull(),
    manifest: jsonb("manifest").$type<PluginManifest>().notNull(),
    /** The file a host imports. */
    entry: text("entry").notNull(),
    fileCount: integer("file_count").notNull(),
    /** Total bytes of all files. */
    size: integer("size").notNull(),
    /** Digest over every file's path and sha256: equal exactly when the content is equal. */
    contentDigest: text("content_digest").notNull(),
    /** Subresource Integrity of the entry file, `sha384-<base64>`. */
    integrity: text("integrity").notNull(),
    status: versionStatus("status").notNull().default("published"),
    statusReason: text("status_reason"),
    deprecationMessage: text("deprecation_message"),
    /** A plugin that replaces a deprecated one. */
    deprecationReplacement: text("deprecation_replacement"),
    publishedAt: timestamp("published_at", { withTimezone: true }).notNull().defaultNow(),
    publishedBy: text("published_by").notNull(),
    /** The readme's Markdown (from its file or given inline), so a listing shows it without the bundle. */
    readme: text("readme"),
    /** The registry's Ed25519 signature of the version's statement (signatures.ts); null until signed. */
    signature: jsonb("signature").$type<VersionSignature>(),
  },
  (table) => [primaryKey({ columns: [table.pluginId, table.version] })],
);
export type PluginVersion = typeof pluginVersions.$inferSelect;

/** Every file of a version, with the digests a browser or a mirror verifies it by. */
export const versionFiles = pgTable(
  "version_files",
  {
    pluginId: text("plugin_id").notNull(),
    version: text("version").notNull(),
    path: text("path").notNull(),
    size: integer("size").notNull(),
    contentType: text("content_type").notNull(),
    sha256: text("sha256").notNull(),
    integrity: text("integrity").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.pluginId, table.version, table.path] }),
    foreignKey({
      columns: [table.pluginId, table.version],
      foreignColumns: [pluginVersions.pluginId, pluginVersions.version],
    }),
  ],
);
export type VersionFile = typeof versionFiles.$inferSelect;

/** Named pointers to versions, like npm's dist-tags. `latest` always exists once a stable version does. */
export const distTags = pgTable(
  "dist_tags",
  {
    pluginId: text("plugin_id")
      .notNull()
      .references(() => plugins.id),
    tag: text("tag").notNull(),
    version: text("version").notNull(),
    /** Set by hand: `latest` then stops following new publishes until the tag is removed. */
    explicit: boolean("explicit").notNull().default(false),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.pluginId, table.tag] }),
    foreignKey({
      columns: [table.pluginId, table.version],
      foreignColumns: [pluginVersions.pluginId, pluginVersions.version],
    }),
  ],
);
