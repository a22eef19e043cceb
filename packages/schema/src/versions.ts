import { z } from "zod";
import { pluginIdSchema, tagSchema, versionReferenceSchema, versionSchema } from "./plugins";
import { plainText } from "./text";

/**
 * `published` versions are resolvable; `yanked` ones keep serving at their exact URL but
 * are never chosen by a tag or range; `blocked` ones (malware) are gone everywhere.
 */
export const versionStatuses = ["published", "yanked", "blocked"] as const;
export type VersionStatus = (typeof versionStatuses)[number];

export const LATEST_TAG = "latest";

export const resolveInputSchema = z.object({
  pluginId: pluginIdSchema,
  range: versionReferenceSchema.default(LATEST_TAG),
});

export const versionRefSchema = z.object({ pluginId: pluginIdSchema, version: versionSchema });

export const setTagInputSchema = z.object({ pluginId: pluginIdSchema, tag: tagSchema, version: versionSchema });
export const removeTagInputSchema = z.object({ pluginId: pluginIdSchema, tag: tagSchema });

export const deprecateInputSchema = z.object({
  pluginId: pluginIdSchema,
  version: versionSchema,
  /** An empty message lifts the deprecation. */
  message: plainText().trim().max(500),
  replacement: pluginIdSchema.optional(),
});

export const yankInputSchema = z.object({
  pluginId: pluginIdSchema,
  version: versionSchema,
  reason: plainText().trim().max(500).optional(),
});

export const blockInputSchema = z.object({
  pluginId: pluginIdSchema,
  version: versionSchema,
  reason: plainText().trim().min(1, "must say why the version is blocked").max(500),
});

/** R2 keys derive from the URL, so the immutable path never needs Postgres to find the bytes. */
export function bundleObjectKey(pluginId: string, version: string, path: string): string {
  return `${pluginId}/${version}/${path}`;
}

/**
 * Marks a blocked version in R2, outside every plugin's key space (plugin ids cannot
 * start with "~"), so the bundle path can answer 410 without asking Postgres.
 */
export function blockedMarkerKey(pluginId: string, version: string): string {
  return `~blocked/${pluginId}/${version}`;
}

/** A file path as it goes in a URL: each segment percent-encoded. */
export function encodeFilePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

const BUNDLES_PATH = "/plugins/bundles/";

/** The public, immutable URL path of a file of a published version. */
export function bundleUrlPath(pluginId: string, version: string, path: string): string {
  return `${BUNDLES_PATH}${pluginId}/v${version}/${encodeFilePath(path)}`;
}

/** A file of a published version, as its exact bundle URL names it. */
export interface BundleFile {
  pluginId: string;
  version: string;
  path: string;
}

/**
 * The file an exact bundle URL names (`/plugins/bundles/:id/v:version/:path`, absolute or
 * just its path; a query is ignored), read the way the API worker's router reads it: split
 * on the raw slashes, then each part percent-decoded. So an encoded slash (`%2F`) in the id
 * or the version, or between them and the path, separates nothing and the URL names no file,
 * while one inside the path is a slash like any other (bundleUrlPath encodes the path a
 * segment at a time). Null for any other URL and for a malformed escape.
 *
 * The shape only, no schema: the gateway's hot path reads every bundle URL with this before
 * anything else, and whoever looks the file up validates it first (only validated files
 * ever get into a cache). Plain string scans, so a memory hit costs no more than the lookup.
 */
export function parseBundleUrl(url: string): BundleFile | null {
  const pathStart = url.startsWith("/") ? 0 : url.indexOf("/", url.indexOf("//") + 2);
  if (pathStart < 0 || !url.startsWith(BUNDLES_PATH, pathStart)) return null;
  const queryStart = url.indexOf("?", pathStart);
  const end = queryStart < 0 ? url.length : queryStart;
  const idStart = pathStart + BUNDLES_PATH.length;
  const idEnd = url.indexOf("/", idStart);
  if (idEnd <= idStart || idEnd >= end || url[idEnd + 1] !== "v") return null;
  const versionEnd = url.indexOf("/", idEnd + 2);
  if (versionEnd < 0 || versionEnd >= end) return null;
  const pluginId = decodedUrlPart(url.slice(idStart, idEnd));
  const version = decodedUrlPart(url.slice(idEnd + 2, versionEnd));
  const path = decodedUrlPart(url.slice(versionEnd + 1, end));
  if (pluginId === null || version === null || path === null || pluginId.includes("/") || version.includes("/")) {
    return null;
  }
  return { pluginId, version, path };
}

function decodedUrlPart(part: string): string | null {
  if (!part.includes("%")) return part;
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

/** The entry file of a single-file upload, and the default entry inside an archive. */
export const SINGLE_FILE_ENTRY = "bundle.js";
export const ARCHIVE_DEFAULT_ENTRY = "index.js";
/** The manifest's file name inside an archive. */
export const MANIFEST_FILE = "plugin.json";

/** On a bundle file answered by the plugins worker: this file is its version's entry. */
export const BUNDLE_ENTRY_HEADER = "x-bundle-entry";
/** On a plugins-worker answer: JSON list of public bundle paths the gateway must purge from its caches. */
export const EDGE_PURGE_HEADER = "x-purge-paths";
