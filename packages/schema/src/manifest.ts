import { z } from "zod";
import { configSchemaProblem } from "./config-schema";
import { isJavaScriptModulePath } from "./content-policy";
import { isTooDeepInput, jsonDepthIssue } from "./json-depth";
import { listingFieldsShape } from "./listing-fields";
import {
  bundleFilePathSchema,
  labelSchema,
  pluginIdSchema,
  pluginKindSchema,
  publishedPluginIdSchema,
  semverRangeSchema,
  versionSchema,
} from "./plugins";
import { manifestPermissionsSchema, SERVER_CAPABILITIES } from "./server-permissions";
import { isStorableJson, nonFiniteNumberPath, plainText, storableJsonIssue } from "./text";

/*
 * The manifest lives apart from the identifiers in ./plugins so that code which only names plugins
 * (the API worker) does not bundle the config-schema validator and its pattern engine.
 */

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

const javaScriptModulePathSchema = bundleFilePathSchema.refine(isJavaScriptModulePath, {
  message: "must be a JavaScript module, a path ending in .js or .mjs",
});

const manifestFieldsSchema = z.strictObject({
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
  entry: javaScriptModulePathSchema.optional(),
  /** What a server-side plugin is; declared with `server`, absent from a frontend-only plugin. */
  kind: pluginKindSchema.optional(),
  /** The module the platform runs in its own isolate; a file of the bundle other than the entry (checked at publish). */
  server: javaScriptModulePathSchema.optional(),
  config: configSchemaSchema.optional(),
  permissions: manifestPermissionsSchema,
  /** Host application versions the plugin runs on, e.g. `{ "host": "^2.0.0" }`. */
  engines: z.strictObject({ host: semverRangeSchema }).optional(),
  /** Other plugins this one needs, by id and semver range. */
  dependencies: z
    .record(pluginIdSchema, semverRangeSchema)
    .refine((dependencies) => Object.keys(dependencies).length <= 50, { message: "must list at most 50 plugins" })
    .default({}),
  /** What a marketplace listing shows: displayName, readme, icon, homepage, repository, bugs, keywords. */
  ...listingFieldsShape,
});

/**
 * `kind` and `server` go together, and the capabilities a server module is granted need one.
 * (That `server` is a file of the bundle, and not the entry, is checked at publish.)
 */
function checkServerFields(manifest: z.output<typeof manifestFieldsSchema>, ctx: z.RefinementCtx): void {
  if (manifest.kind !== undefined && manifest.server === undefined) {
    ctx.addIssue({ code: "custom", path: ["server"], message: "is required with kind: the module the platform runs" });
  }
  if (manifest.server !== undefined && manifest.kind === undefined) {
    ctx.addIssue({ code: "custom", path: ["kind"], message: "is required with server: source, agent or integration" });
  }
  if (manifest.server !== undefined || Array.isArray(manifest.permissions)) return;
  for (const capability of SERVER_CAPABILITIES) {
    if (manifest.permissions[capability] === undefined) continue;
    ctx.addIssue({
      code: "custom",
      path: ["permissions", capability],
      message: "is granted to a server module: declare server and kind, or leave it out",
    });
  }
}

/**
 * The plugin manifest: `plugin.json` inside an archive, or the `metadata` field beside a
 * single-file bundle. Unknown fields are refused so that typos do not pass silently.
 */
export const pluginManifestSchema = manifestFieldsSchema.superRefine(checkServerFields);
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
