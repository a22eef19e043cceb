import {
  describeIssues,
  hasMorePartsThan,
  KIND_COLLECTIONS,
  MAX_UPLOAD_PARTS,
  multipartBoundary,
  pluginIdSchema,
  searchInputSchema,
  uploadPartsIssue,
  usableIfNoneMatch,
} from "@plugins/schema";
import type { Hono } from "hono";
import { requireSignedIn } from "../auth";
import { redirectToVersion } from "../cdn/bundle-routes";
import type { AppEnv } from "../env";
import { publicOrigin } from "../env";
import { ApiError } from "../errors";
import { packageDocumentAnswer } from "../package-documents";
import { pluginsClient } from "../plugins-client";
import { limitBody } from "../request-limits";

const PACKAGE_DOCUMENT_CACHE_CONTROL = "public, no-cache";

export function registerPlugins(app: Hono<AppEnv>) {
  /**
   * Publish a version: multipart `file` (one JS file with `metadata` JSON beside it, or a
   * zip / tar.gz of a built folder with plugin.json inside) and an optional `tag`.
   */
  app.post("/api/plugins/upload", requireSignedIn, limitBody, async (c) => {
    const contentType = c.req.header("content-type") ?? "";
    if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
      throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send multipart/form-data with a 'file' field (and 'metadata')");
    }
    // Read first (limitBody caps it), so a client still sending gets the refusal, not a reset.
    const body = new Uint8Array(await c.req.arrayBuffer());
    const { boundary, problem } = multipartBoundary(contentType);
    if (problem !== undefined) throw new ApiError("BAD_REQUEST", problem);
    // Counted before parsing: a flood of tiny parts costs a byte search, never a parse.
    if (hasMorePartsThan(body, boundary, MAX_UPLOAD_PARTS)) throw new ApiError("BAD_REQUEST", uploadPartsIssue);
    const form = await new Response(body, { headers: { "content-type": contentType } }).formData().catch(() => {
      throw new ApiError("BAD_REQUEST", "The multipart body is malformed");
    });
    if (!(form.get("file") instanceof File)) throw new ApiError("BAD_REQUEST", "file: a bundle file is required");

    const { created, version } = await pluginsClient(c).plugins.publish.mutate(form);
    return c.json(
      {
        ...version.manifest,
        version: version.version,
        status: version.status,
        entry: version.entry,
        fileCount: version.fileCount,
        size: version.size,
        sha256: version.entrySha256,
        integrity: version.integrity,
        bundleUrl: `${publicOrigin(c)}${version.bundlePath}`,
        publishedAt: version.publishedAt,
        publishedBy: version.publishedBy,
        signature: version.signature,
      },
      created ? 201 : 200,
    );
  });

  /**
   * The package document, like npm's `GET /:package`: public, and revalidated on every use (a
   * 304 costs no body), so a publish, a tag or a block is seen by the next read.
   */
  app.get("/api/plugins/:id", async (c) => {
    const pluginId = pluginIdSchema.safeParse(c.req.param("id"));
    if (!pluginId.success) throw new ApiError("BAD_REQUEST", `id: ${describeIssues(pluginId.error.issues)}`);
    const answer = await packageDocumentAnswer(c, pluginId.data, usableIfNoneMatch(c.req.header("if-none-match")));
    const headers = { etag: answer.headers.get("etag") ?? "", "cache-control": PACKAGE_DOCUMENT_CACHE_CONTROL };
    if (answer.status === 304) return c.body(null, 304, headers);
    return new Response(answer.body, {
      status: 200,
      headers: { ...headers, "content-type": "application/json; charset=utf-8" },
    });
  });

  /**
   * The installable plugins of a kind (`sources`, `agents`, `integrations`), as the service
   * this platform replaces lists them: `plugins.search` with `kind`, `?q=`, `?cursor=`, `?limit=`.
   */
  app.get("/api/plugins/registry/:collection", async (c) => {
    const collection = c.req.param("collection");
    if (!Object.hasOwn(KIND_COLLECTIONS, collection)) {
      throw new ApiError("NOT_FOUND", `No collection '${collection}': sources, agents or integrations`);
    }
    const limit = c.req.query("limit");
    const input = searchInputSchema.safeParse({
      kind: KIND_COLLECTIONS[collection as keyof typeof KIND_COLLECTIONS],
      query: c.req.query("q"),
      cursor: c.req.query("cursor"),
      limit: limit === undefined ? undefined : Number(limit),
    });
    if (!input.success) throw new ApiError("BAD_REQUEST", describeIssues(input.error.issues));
    return c.json(await pluginsClient(c).plugins.search.query(input.data));
  });

  /** The newest stable version's immutable URL, like `/plugins/bundles/:id@latest`. */
  app.get("/api/plugins/:id/bundle", (c) => redirectToVersion(c, `${c.req.param("id")}@latest`, ""));
}
