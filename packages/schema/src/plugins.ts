import { type SQL, sql } from "drizzle-orm";
import { customType, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import semver from "semver";
import { z } from "zod";
import { configSchemaProblem } from "./config-schema";
import { isJavaScriptModulePath } from "./content-policy";
import { isTooDeepInput, jsonDepthIssue } from "./json-depth";
import { isStorableJson, isStorableText, nonFiniteNumberPath, plainText, storableJsonIssue } from "./text";

/**
 * Plugin ids appear in URLs and R2 keys, so they are restricted to a slug in which
 * separators never repeat: no "..", no "/", nothing that needs escaping.
 */
export const pluginIdSchema = z
  .string()
  .max(64, "must be at most 64 characters")
  .regex(/^[a-z0-9]+(?:[-_.][a-z0-9]+)*$/, "must be lowercase letters and digits separated by single '-', '_' or '.'");

/**
 * The fixed segments of the REST routes under /api/plugins. A plugin named after one would
 * lose `GET /api/plugins/<id>/bundle` to `GET /api/plugins/status/:instanceId` and its
 * siblings, so no new version may be published under these ids. Reads keep pluginIdSchema:
 * a plugin stored under one before stays readable (and reachable at `/plugins/bundles/<id>@latest`).
 */
const ROUTE_WORDS: readonly string[] = ["upload", "install", "start", "stop", "status"];

/** The id of a manifest being published: a plugin id that is not a route word. */
const publishedPluginIdSchema = pluginIdSchema.refine((id) => !ROUTE_WORDS.includes(id), {
  error: (issue) =>
    `"${String(issue.input)}" is reserved: it is a route word of /api/plugins (${ROUTE_WORDS.join(", ")})`,
});

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

/** A semver range such as `^1.2.0`, `1.x` or `>=2 <3`. */
export const semverRangeSchema = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .refine((value) => semver.validRange(value) !== null, { message: "must be a semver range like ^1.2.0" });

/** A dist-tag name. Tags that parse as ranges would be ambiguous in `id@ref` URLs, as npm also forbids. */
export const tagSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, "must start with a letter and contain only a-z, 0-9 and '-'")
  .refine((value) => semver.validRange(value) === null, { message: "must not look like a version or range" });

/** What a client may ask for: a dist-tag (`latest`, `beta`), an exact version or a semver range. */
export const versionReferenceSchema = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .refine((value) => tagSchema.safeParse(value).success || semver.validRange(value) !== null, {
    message: "must be a tag such as 'latest', a version or a semver range",
  });

export const labelSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.:-]{0,63}$/, "must be a lowercase name (a-z, 0-9, '.', ':', '-')");

/**
 * A file path inside a published version, as it appears in a bundle URL. Segments are
 * plain names: no "..", no ".", no empty segment, no backslash, control, invisible or
 * blank character (the space aside), no trailing dot or space. Publish and serving check paths with this schema.
 */
export const bundleFilePathSchema = z
  .string()
  .min(1)
  .max(512)
  .refine(
    (path) =>
      path
        .split("/")
        .every((segment) => segment !== "" && segment !== "." && segment !== ".." && !hasTrailingDotOrSpace(segment)) &&
      !UNSAFE_IN_PATH.test(path) &&
      !INVISIBLE_IN_PATH.test(path) &&
      isStorableText(path),
    {
      message:
        "must be a relative path of plain names (no '..', '.', empty segments, backslashes, control, invisible or blank characters other than the space, '%', '?', '#', or a name ending in a dot or space)",
    },
  );

/**
 * Control characters and backslashes play tricks on file systems and logs; '%', '?' and
 * '#' change what a URL means, so a name holding them could decode into another file's.
 */
export const UNSAFE_IN_PATH = /[\p{Cc}\\%?#]/u;

/**
 * Characters that do not show, or show as nothing but blank: Unicode format characters
 * (zero-width space and joiners, the byte-order mark, bidirectional overrides and
 * isolates), the other default-ignorable code points (the Hangul fillers U+115F, U+1160,
 * U+3164, U+FFA0, variation selectors), line and paragraph separators, the Braille
 * pattern blank U+2800 (a symbol that draws no dots), and every space separator but the
 * ordinary space (no-break, en, em, ideographic spaces…), which reads as one. A name
 * holding one looks like another (`index\u200B.js`, `index.js\u2800`) or reads in another
 * order than stored. The ordinary space stays allowed inside a name (`my file.png`).
 */
export const INVISIBLE_IN_PATH = /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}\u2800]|[^\P{Zs} ]/u;

/** Windows and many tools drop a trailing dot or space, so `index.js.` would turn into `index.js`. */
export function hasTrailingDotOrSpace(segment: string): boolean {
  return /[.\s]$/u.test(segment);
}

/** A path quoted for a message, invisible characters escaped (`"index\u{200b}.js"`), so the message reads true. */
export function quotePath(path: string): string {
  return JSON.stringify(path).replace(
    new RegExp(INVISIBLE_IN_PATH.source, "gu"),
    (character) => `\\u{${character.codePointAt(0)?.toString(16)}}`,
  );
}

const authorSchema = z.union([
  plainText().trim().min(1).max(200),
  z.strictObject({
    name: plainText().trim().min(1).max(200),
    email: z.email().optional(),
    url: z.url().optional(),
  }),
]);

/**
 * A JSON Schema (draft 2020-12, object form) describing the plugin's per-instance
 * configuration. Top-level properties marked `writeOnly: true` are secrets: stored
 * encrypted, never returned.
 */
const configSchemaSchema = z
  .record(z.string(), z.unknown())
  .refine((schema) => schema.type === undefined || schema.type === "object", {
    message: "must describe an object (type: 'object')",
  })
  .refine((schema) => JSON.stringify(schema).length <= 64 * 1024, { message: "must be at most 64 KiB" })
  // Stored in a jsonb column, which refuses what text columns refuse.
  .refine(isStorableJson, { message: storableJsonIssue })
  .superRefine((schema, ctx) => {
    const problem = configSchemaProblem(schema);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** An extension point a plugin provides, by name, or with the host contract versions it works with. */
const providedExtensionPointSchema = z.union([
  labelSchema,
  z.strictObject({ name: labelSchema, contract: semverRangeSchema }),
]);
export type ProvidedExtensionPoint = z.infer<typeof providedExtensionPointSchema>;

/** The names of the extension points a manifest provides. */
export function extensionPointNames(manifest: { extensionPoints: readonly ProvidedExtensionPoint[] }): string[] {
  return manifest.extensionPoints.map((point) => (typeof point === "string" ? point : point.name));
}

/**
 * The plugin manifest: `plugin.json` inside an archive, or the `metadata` field beside a
 * single-file bundle. Unknown fields are refused so that typos do not pass silently.
 */
export const pluginManifestSchema = z.strictObject({
  id: publishedPluginIdSchema,
  name: plainText().trim().min(1, "must not be empty").max(100),
  version: versionSchema,
  description: plainText().max(2000).default(""),
  category: labelSchema,
  author: authorSchema.optional(),
  license: z
    .string()
    .max(100)
    .regex(/^[A-Za-z0-9.+\-() ]+$/, "must be an SPDX license expression such as MIT or (MIT OR Apache-2.0)")
    .optional(),
  extensionPoints: z
    .array(providedExtensionPointSchema)
    .max(50)
    .default([])
    .refine((points) => new Set(extensionPointNames({ extensionPoints: points })).size === points.length, {
      message: "must not name an extension point twice",
    }),
  /** The file a host imports; defaults to bundle.js for a single file and index.js in an archive. */
  entry: bundleFilePathSchema
    .refine(isJavaScriptModulePath, { message: "must be a JavaScript module, a path ending in .js or .mjs" })
    .optional(),
  config: configSchemaSchema.optional(),
  permissions: z.array(labelSchema).max(50).default([]),
  /** Host application versions the plugin runs on, e.g. `{ "host": "^2.0.0" }`. */
  engines: z.strictObject({ host: semverRangeSchema }).optional(),
  /** Other plugins this one needs, by id and semver range. */
  dependencies: z
    .record(pluginIdSchema, semverRangeSchema)
    .refine((dependencies) => Object.keys(dependencies).length <= 50, { message: "must list at most 50 plugins" })
    .default({}),
});
export type PluginManifest = z.infer<typeof pluginManifestSchema>;

/** A manifest sent as JSON text (the `metadata` form field, or plugin.json). */
export const pluginManifestJsonSchema = z
  .string()
  .max(64 * 1024, "must be at most 64 KiB")
  .transform((text, ctx): unknown => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: "custom", message: "is not valid JSON" });
      return z.NEVER;
    }
    // Before the manifest's checks, which serialize and clone its config schema recursively.
    if (isTooDeepInput(parsed)) {
      ctx.addIssue({ code: "custom", message: `a field ${jsonDepthIssue}` });
      return z.NEVER;
    }
    // Named where it sits: the manifest's checks would only see a config that is not storable.
    const nonFinite = nonFiniteNumberPath(parsed);
    if (nonFinite) {
      ctx.addIssue({
        code: "custom",
        path: nonFinite,
        message: "is a number beyond what JSON can hold (it reads as Infinity or NaN)",
      });
      return z.NEVER;
    }
    return parsed;
  })
  .pipe(pluginManifestSchema);

const tsvector = customType<{ data: string }>({
  dataType: () => "tsvector",
});

export const plugins = pgTable(
  "plugins",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    category: text("category").notNull(),
    extensionPoints: text("extension_points").array().notNull().default(sql`'{}'::text[]`),
    ownerId: text("owner_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    /** Ranked text search: id and name weigh more than the description. */
    searchVector: tsvector("search_vector")
      .notNull()
      .generatedAlwaysAs(
        (): SQL =>
          sql`setweight(to_tsvector('simple', ${plugins.id}), 'A') || setweight(to_tsvector('english', ${plugins.name}), 'A') || setweight(to_tsvector('english', ${plugins.description}), 'B')`,
      ),
  },
  (table) => [
    index("plugins_category_idx").on(table.category, table.id),
    index("plugins_extension_points_idx").using("gin", table.extensionPoints),
    index("plugins_search_idx").using("gin", table.searchVector),
  ],
);

export const pluginRefSchema = z.object({ pluginId: pluginIdSchema });

const cursorSchema = z.string().max(512);

export const searchInputSchema = z.object({
  /** Words to look for in id, name and description (web-search syntax: quotes, `-word`, `or`). */
  query: plainText().trim().max(200).optional(),
  category: labelSchema.optional(),
  extensionPoint: labelSchema.optional(),
  cursor: cursorSchema.optional(),
  limit: z.number().int().min(1).max(100).default(20),
});
