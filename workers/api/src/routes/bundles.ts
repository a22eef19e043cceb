import { bundleFilePathSchema, pluginIdSchema, versionSchema } from "@plugins/schema";
import type { Hono } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { callPlugins, PLUGINS_ORIGIN } from "../plugins-client";

/** Headers every bundle answer carries, so a page on any origin can `import()` it. */
const CROSS_ORIGIN_HEADERS = {
  "access-control-allow-origin": "*",
  "cross-origin-resource-policy": "cross-origin",
  "x-content-type-options": "nosniff",
} as const;

const IMMUTABLE = "public, max-age=31536000, immutable";

/**
 * The hot path: `/plugins/bundles/:pluginId/v:version/:path`. The R2 key follows from the
 * URL, so no database and no token are involved; repeated requests are answered from the
 * edge cache without crossing to the plugins worker.
 */
export function registerBundles(app: Hono<AppEnv>) {
  app.on(["GET", "HEAD"], "/plugins/bundles/:pluginId/:ref/:path{.+}", async (c) => {
    const { pluginId, ref, path } = c.req.param();
    const version = ref.startsWith("v") ? ref.slice(1) : "";
    if (
      !pluginIdSchema.safeParse(pluginId).success ||
      versionSchema.safeParse(version).data !== version ||
      !bundleFilePathSchema.safeParse(path).success
    ) {
      throw notFound();
    }

    const cacheKey = new Request(new URL(c.req.path, c.req.url).toString());
    const cache = caches.default;
    const cached = await cache.match(cacheKey);
    if (cached) return bodyFor(c.req.method, cached);

    const upstream = await callPlugins(c.env, `${PLUGINS_ORIGIN}/bundles/${pluginId}/${version}/${path}`);
    if (upstream.status === 404) throw notFound();
    if (!upstream.ok) throw new ApiError("SERVICE_UNAVAILABLE", "The bundle store is unavailable");

    const headers = new Headers(CROSS_ORIGIN_HEADERS);
    for (const name of ["content-type", "content-length", "etag"]) {
      const value = upstream.headers.get(name);
      if (value) headers.set(name, value);
    }
    headers.set("cache-control", IMMUTABLE);
    const response = new Response(upstream.body, { headers });
    c.executionCtx.waitUntil(cache.put(cacheKey, response.clone()));
    return bodyFor(c.req.method, response);
  });
}

function notFound() {
  return new ApiError("NOT_FOUND", "No such bundle file", {
    ...CROSS_ORIGIN_HEADERS,
    "cache-control": "public, max-age=60",
  });
}

/** A fresh response with mutable headers (cached and fetched ones are immutable); no body for HEAD. */
function bodyFor(method: string, response: Response): Response {
  return new Response(method === "HEAD" ? null : response.body, response);
}
