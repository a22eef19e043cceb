import { strongEtag } from "@plugins/runtime";
import {
  type BundleFile,
  bundleFilePathSchema,
  parseBundleUrl,
  pluginIdSchema,
  type VersionStatus,
  versionSchema,
} from "@plugins/schema";
import type { Context, Hono } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { readPackageDocument } from "../package-documents";
import { enforceBudget } from "../rate-limits";
import { CROSS_ORIGIN_HEADERS, isNotModified, SHORT_LIVED } from "./bundle-responses";

/** The query parameter that turns a directory URL of a version into its listing, as on unpkg. */
const LISTING_QUERY = "meta";

/** Headers of the bundle routes' negative answers and refusals, so a listing's are the same. */
export interface ListingHeaders {
  miss: Record<string, string>;
  refusal: Record<string, string>;
}

/** One version's files under a directory, paths from the version's root with a leading `/`. */
export interface FileListing {
  pluginId: string;
  version: string;
  status: Exclude<VersionStatus, "blocked">;
  prefix: string;
  files: { path: string; size: number; contentType: string; integrity: string }[];
}

/**
 * `GET`/`HEAD /plugins/bundles/:id/v:version/[dir/]?meta`: the files of one version, or of one
 * directory of it, read from the package document, so no database and no bucket here. Any other
 * URL goes on to the bundle routes registered after this one.
 */
export function registerFileListing(app: Hono<AppEnv>, headers: ListingHeaders) {
  app.on(["GET", "HEAD"], "/plugins/bundles/:reference/:rest{.+}", async (c, next) => {
    // Only an exact version's directory: a floating reference or a file is the bundle routes'.
    if (c.req.query(LISTING_QUERY) === undefined || c.req.param("reference").includes("@")) return next();
    const named = parseBundleUrl(c.req.url);
    if (!named || (named.path !== "" && !named.path.endsWith("/"))) return next();
    return listFiles(c, named, headers);
  });
}

async function listFiles(c: Context<AppEnv>, named: BundleFile, { miss, refusal }: ListingHeaders): Promise<Response> {
  // Like a floating reference, a listing reads the registry's metadata, so it spends the read budget.
  await enforceBudget(c, "read", { refusalHeaders: refusal });
  const { pluginId, version, prefix } = listedDirectory(named, miss);
  const document = await readPackageDocument(c, pluginId, miss);
  const listed = document.versions[version];
  if (!listed) throw new ApiError("NOT_FOUND", `${pluginId} has no version ${version}`, miss);
  if (listed.status === "blocked") throw new ApiError("GONE", `${pluginId}@${version} was blocked`, miss);
  const files = listed.files
    .filter((file) => file.path.startsWith(prefix))
    .map((file) => ({
      path: `/${file.path}`,
      size: file.size,
      contentType: file.contentType,
      integrity: file.integrity,
    }));
  if (files.length === 0) throw new ApiError("NOT_FOUND", `${pluginId}@${version} has no files under /${prefix}`, miss);

  const listing: FileListing = { pluginId, version, status: listed.status, prefix: `/${prefix}`, files };
  const body = JSON.stringify(listing);
  // Of the listing's own bytes: a tag or another version changes the document, not this answer.
  const etag = await strongEtag(body);
  const answer = { ...CROSS_ORIGIN_HEADERS, "cache-control": SHORT_LIVED, etag };
  if (isNotModified(c.req.raw.headers, etag)) return c.body(null, 304, answer);
  const full = {
    ...answer,
    "content-type": "application/json; charset=utf-8",
    "content-length": String(new TextEncoder().encode(body).byteLength),
  };
  return c.req.method === "HEAD" ? c.body(null, 200, full) : c.body(body, 200, full);
}

/**
 * The plugin, version and directory (`""` for the root, else ending in `/`) a listing URL names,
 * held to the rules every published file passed, so a name no file can have is a 404 without a
 * call to the registry.
 */
function listedDirectory({ pluginId, version, path: prefix }: BundleFile, miss: Record<string, string>) {
  if (!pluginIdSchema.safeParse(pluginId).success) throw new ApiError("NOT_FOUND", "No such plugin", miss);
  if (versionSchema.safeParse(version).data !== version) {
    throw new ApiError("NOT_FOUND", "No such version: after 'v' comes an exact version like 1.2.3", miss);
  }
  if (prefix !== "" && !bundleFilePathSchema.safeParse(prefix.slice(0, -1)).success) {
    throw new ApiError("NOT_FOUND", "No such directory: each segment of its path must be a plain name", miss);
  }
  return { pluginId, version, prefix };
}
