import { pluginIdSchema } from "@plugins/schema";
import type { Hono } from "hono";
import { requireSignedIn } from "../auth";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { pluginsClient, publicOrigin } from "../plugins-client";
import { limitBody } from "../request-limits";

/** How long a floating reference may be cached: a new publish shows within a minute. */
const FLOATING_CACHE = "public, max-age=60, stale-while-revalidate=300";

export function registerPlugins(app: Hono<AppEnv>) {
  /** Publish a version: multipart `file` (the JS bundle) and `metadata` (JSON). */
  app.post("/api/plugins/upload", requireSignedIn, limitBody, async (c) => {
    if (!c.req.header("content-type")?.toLowerCase().startsWith("multipart/form-data")) {
      throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send multipart/form-data with 'file' and 'metadata' fields");
    }
    const form = await c.req.raw.formData().catch(() => {
      throw new ApiError("BAD_REQUEST", "The multipart body is malformed");
    });
    if (!(form.get("file") instanceof File)) throw new ApiError("BAD_REQUEST", "file: a bundle file is required");
    if (typeof form.get("metadata") !== "string") {
      throw new ApiError("BAD_REQUEST", "metadata: a JSON metadata field is required");
    }

    const { created, version } = await pluginsClient(c).plugins.publish.mutate(form);
    return c.json(
      {
        ...version.manifest,
        version: version.version,
        status: version.status,
        size: version.size,
        sha256: version.sha256,
        integrity: version.integrity,
        bundleUrl: `${publicOrigin(c)}${version.bundlePath}`,
        publishedAt: version.publishedAt,
        publishedBy: version.publishedBy,
      },
      created ? 201 : 200,
    );
  });

  /** The newest version's immutable URL; clients that pin nothing start here. */
  app.get("/api/plugins/:id/bundle", async (c) => {
    const pluginId = pluginIdSchema.safeParse(c.req.param("id"));
    if (!pluginId.success) throw new ApiError("NOT_FOUND", `Plugin '${c.req.param("id")}' does not exist`);
    const resolved = await pluginsClient(c).plugins.resolve.query({ pluginId: pluginId.data, range: "latest" });
    return new Response(null, {
      status: 302,
      headers: {
        location: `${publicOrigin(c)}${resolved.bundlePath}`,
        "cache-control": FLOATING_CACHE,
        "access-control-allow-origin": "*",
      },
    });
  });
}
