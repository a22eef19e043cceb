import semver from "semver";
import { z } from "zod";
import { ifNoneMatchSchema } from "./conditional-requests";
import { isStorableText, plainText } from "./text";

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
export const publishedPluginIdSchema = pluginIdSchema.refine((id) => !ROUTE_WORDS.includes(id), {
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
 * What a server-side plugin is, as its manifest's `kind` says: a source of documents, an agent
 * or an integration. A frontend-only plugin has no kind.
 */
export const PLUGIN_KINDS = ["source", "agent", "integration"] as const;
export const pluginKindSchema = z.enum(PLUGIN_KINDS);
export type PluginKind = z.infer<typeof pluginKindSchema>;

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

export const pluginRefSchema = z.object({ pluginId: pluginIdSchema });

export const packageDocumentInputSchema = z.object({ pluginId: pluginIdSchema, ifNoneMatch: ifNoneMatchSchema });

/** Room for a cursor that carries a query of 200 characters (search.ts), base64url-encoded. */
const cursorSchema = z.string().max(2048);

/**
 * The orders of a listing: full-text rank (with words only), id, the latest listing change
 * first, the most downloaded (all time) first. Ties are broken by id.
 */
export const SEARCH_SORTS = ["relevance", "name", "updated", "downloads"] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

export const searchInputSchema = z
  .object({
    /** Words to look for in id, name and description (web-search syntax: quotes, `-word`, `or`). */
    query: plainText().trim().max(200).optional(),
    category: labelSchema.optional(),
    extensionPoint: labelSchema.optional(),
    /** Only server-side plugins of this kind, by their `latest` version. */
    kind: pluginKindSchema.optional(),
    /** `relevance` with words, `name` without them, if absent. */
    sort: z.enum(SEARCH_SORTS).optional(),
    cursor: cursorSchema.optional(),
    limit: z.number().int().min(1).max(100).default(20),
  })
  .transform((input, ctx) => {
    // An empty query (blank once trimmed) is no query, as it always was.
    const query = input.query || undefined;
    if (input.sort === "relevance" && !query) {
      ctx.addIssue({ code: "custom", path: ["sort"], message: '"relevance" ranks matches of a query: give one' });
      return z.NEVER;
    }
    const sort: SearchSort = input.sort ?? (query ? "relevance" : "name");
    return { ...input, query, sort };
  });
