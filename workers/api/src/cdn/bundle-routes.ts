import {
  BUNDLE_ENTRY_HEADER,
  type BundleFile,
  bundleFilePathSchema,
  bundleUrlPath,
  encodeFilePath,
  parseBundleUrl,
  pluginIdSchema,
  versionReferenceSchema,
  versionSchema,
} from "@plugins/schema";
import type { Context, Hono } from "hono";
import { type AppEnv, publicOrigin } from "../env";
import { ApiError } from "../errors";
import { isolateOf } from "../isolate";
import { resolveReference } from "../package-documents";
import { callPlugins, internalClaims, PLUGINS_ORIGIN } from "../plugins-client";
import { enforceBudget } from "../rate-limits";
import { enforceBundleBudget } from "./bundle-budget";
import { edgeCacheKey, hotObjectKey } from "./bundle-cache";
import {
  answerFromMemory,
  answerFromStream,
  CROSS_ORIGIN_HEADERS,
  deprecationHeader,
  immutableHeaders,
  SHORT_LIVED,
} from "./bundle-responses";
import { flushWhenDue } from "./download-flush";
import { registerFileListing } from "./file-listing";

/** On redirects of a floating reference: a burst is absorbed, a publish shows within a minute. */
const REDIRECT_HEADERS = { ...CROSS_ORIGIN_HEADERS, "cache-control": SHORT_LIVED };
/**
 * On negative answers (an unknown file or version, a blocked one, a malformed reference):
 * ten seconds and no stale copy, so a CDN in front stops answering 404 soon after the
 * publish. An error of 500 or more is never cached (errors.ts).
 */
const MISS_HEADERS = { ...CROSS_ORIGIN_HEADERS, "cache-control": "public, max-age=10" };
/** On answers no cache may keep: a spent budget, an unavailable store. */
const REFUSAL_HEADERS = { ...CROSS_ORIGIN_HEADERS, "cache-control": "no-store" };

/**
 * Public bundle URLs:
 * - `/plugins/bundles/:id/v:version/:path`: the immutable file (the hot path: no database,
 *   no token; answered from isolate memory, then the edge cache, then R2);
 * - `/plugins/bundles/:id@:ref/:path?`: a tag or semver range, redirected (302) to the
 *   exact URL with a short cache;
 * - `/plugins/bundles/:id/v:version/[dir/]?meta`: the version's file listing (file-listing.ts).
 */
export function registerBundles(app: Hono<AppEnv>) {
  app.use("/plugins/bundles/*", (c, next) => {
    enforceBundleBudget(c, isolateOf(c.env).bundleBudget, REFUSAL_HEADERS);
    return next();
  });
  registerFileListing(app, { miss: MISS_HEADERS, refusal: REFUSAL_HEADERS });
  app.on(["GET", "HEAD"], "/plugins/bundles/:reference", (c) => {
    const reference = c.req.param("reference");
    if (!reference.includes("@")) throw new ApiError("NOT_FOUND", "No such bundle file", MISS_HEADERS);
    return redirectFloating(c, reference, "");
  });
  app.on(["GET", "HEAD"], "/plugins/bundles/:reference/:rest{.+}", (c) => {
    const { reference, rest } = c.req.param();
    return reference.includes("@") ? redirectFloating(c, reference, rest) : serveExactFile(c);
  });
}

/** Whether a parsed URL names a file that could exist: the checks every file passed at publish. */
function isValidFile(file: BundleFile | null): file is BundleFile {
  return (
    file !== null &&
    pluginIdSchema.safeParse(file.pluginId).success &&
    versionSchema.safeParse(file.version).data === file.version &&
    bundleFilePathSchema.safeParse(file.path).success
  );
}

async function serveExactFile(c: Context<AppEnv>): Promise<Response> {
  // Files this isolate holds are answered before routing (hot-path.ts); this is a miss.
  const file = parseBundleUrl(c.req.url);
  if (!isValidFile(file)) throw new ApiError("NOT_FOUND", "No such bundle file", MISS_HEADERS);
  const { pluginId, version, path } = file;
  const method = c.req.method;
  const memory = isolateOf(c.env).hotObjects;

  const cacheKey = edgeCacheKey(c, file);
  const cache = caches.default;
  const cached = await cache.match(cacheKey);
  const response =
    cached ?? (await callPlugins(c, `${PLUGINS_ORIGIN}/bundles/${pluginId}/${version}/${encodeFilePath(path)}`));
  if (response.status === 404) throw new ApiError("NOT_FOUND", "No such bundle file", MISS_HEADERS);
  if (response.status === 410) throw new ApiError("GONE", `${pluginId}@${version} was blocked`, MISS_HEADERS);
  if (!response.ok) throw new ApiError("SERVICE_UNAVAILABLE", "The bundle store is unavailable", REFUSAL_HEADERS);

  const isEntry = response.headers.get(BUNDLE_ENTRY_HEADER) === "1";
  const size = Number(response.headers.get("content-length") ?? Number.NaN);
  if (!memory.accepts(size)) {
    // The edge cache keeps what carries the immutable Cache-Control, so store our own answer.
    const full = answerFromStream("GET", new Headers(), response);
    if (!cached) {
      const stored = full.clone();
      if (isEntry) stored.headers.set(BUNDLE_ENTRY_HEADER, "1");
      c.executionCtx.waitUntil(cache.put(cacheKey, stored));
    }
    return counted(c, file, isEntry, answerFromStream(method, c.req.raw.headers, full));
  }
  const etag = response.headers.get("etag") ?? "";
  const object = {
    bytes: new Uint8Array(await response.arrayBuffer()),
    etag,
    headers: immutableHeaders(etag, response.headers.get("content-type") ?? "application/octet-stream"),
    isEntry,
    storedAt: Date.now(),
  };
  memory.set(hotObjectKey(file), object);
  if (!cached) {
    const stored = answerFromMemory("GET", new Headers(), object);
    if (isEntry) stored.headers.set(BUNDLE_ENTRY_HEADER, "1");
    c.executionCtx.waitUntil(cache.put(cacheKey, stored));
  }
  const answer = answerFromMemory(method, c.req.raw.headers, object, c.get("requestId"));
  return counted(c, file, isEntry, answer);
}

/** Counts a full download of an entry file (see download-counter.ts) and returns the answer. */
function counted(c: Context<AppEnv>, file: BundleFile, isEntry: boolean, response: Response) {
  const download = {
    pluginId: file.pluginId,
    version: file.version,
    isEntry,
    method: c.req.method,
    status: response.status,
  };
  const flush = isolateOf(c.env).downloads.record(download);
  if (flush) flushWhenDue(c.env, (promise) => c.executionCtx.waitUntil(promise), internalClaims(c).request, flush);
  return response;
}

/** A floating reference resolves in Postgres, so it spends the read budget, not the bundle one. */
async function redirectFloating(c: Context<AppEnv>, reference: string, path: string): Promise<Response> {
  await enforceBudget(c, "read", { refusalHeaders: REFUSAL_HEADERS });
  return redirectToVersion(c, reference, path);
}

/**
 * `id@ref[/path]` → 302 to the exact URL. Resolved afresh on every request, so a publish
 * shows at once here; clients and CDNs may keep the answer a minute (Cache-Control). The
 * caller has spent the read budget, once: `redirectFloating` for bundle URLs, the /api
 * middlewares for `/api/plugins/:id/bundle`.
 */
export async function redirectToVersion(c: Context<AppEnv>, reference: string, path: string): Promise<Response> {
  const at = reference.indexOf("@");
  const pluginId = reference.slice(0, at);
  const ref = versionReferenceSchema.safeParse(reference.slice(at + 1));
  if (!pluginIdSchema.safeParse(pluginId).success) throw new ApiError("NOT_FOUND", "No such plugin", MISS_HEADERS);
  if (!ref.success) {
    throw new ApiError(
      "BAD_REQUEST",
      "The reference after '@' must be a tag, a version or a semver range",
      MISS_HEADERS,
    );
  }
  if (path && !bundleFilePathSchema.safeParse(path).success) {
    throw new ApiError("NOT_FOUND", "No such bundle file", MISS_HEADERS);
  }
  const resolved = await resolveReference(c, pluginId, ref.data, MISS_HEADERS);
  const headers = new Headers({
    ...REDIRECT_HEADERS,
    location: `${publicOrigin(c)}${bundleUrlPath(resolved.pluginId, resolved.version, path || resolved.entry)}`,
  });
  if (resolved.deprecated) headers.set("x-plugin-deprecated", deprecationHeader(resolved.deprecated.message));
  return new Response(null, { status: 302, headers });
}
