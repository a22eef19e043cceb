import { describeIssues, tenantIdSchema, usableIfNoneMatch } from "@plugins/schema";
import type { Context, Hono } from "hono";
import { requireSignedIn } from "../auth";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { pluginsClient } from "../plugins-client";

/**
 * Private (it carries the tenant's config, so no shared cache may keep it) and revalidated on
 * every use: a conditional GET costs a 304 without a body, and a write is never hidden
 * behind a client's cached copy.
 */
const MANIFEST_CACHE_CONTROL = "private, no-cache";

/** What a tenant's frontend fetches at boot. */
export function registerTenants(app: Hono<AppEnv>) {
  /** The tenant's active plugins: exact bundle URLs, SRI integrity, extension points, public config. */
  app.get("/api/tenants/:tenant/plugins/manifest", requireSignedIn, async (c) => {
    const answer = await readManifest(c);
    return answer.manifest
      ? manifestResponse(c, answer.etag, answer.manifest, "application/json")
      : notModified(c, answer.etag);
  });

  /** The same as an import map, for `<script type="importmap">`: `{"imports", "integrity"}`. */
  app.get("/api/tenants/:tenant/plugins/importmap", requireSignedIn, async (c) => {
    const answer = await readManifest(c);
    return answer.manifest
      ? manifestResponse(c, answer.etag, answer.manifest.importMap, "application/importmap+json")
      : notModified(c, answer.etag);
  });
}

function readManifest(c: Context<AppEnv>) {
  const tenant = tenantIdSchema.safeParse(c.req.param("tenant"));
  if (!tenant.success) throw new ApiError("BAD_REQUEST", `tenant: ${describeIssues(tenant.error.issues)}`);
  return pluginsClient(c).manifests.get.query({
    tenantId: tenant.data,
    ifNoneMatch: usableIfNoneMatch(c.req.header("if-none-match")),
  });
}

function manifestResponse(c: Context<AppEnv>, etag: string, body: unknown, contentType: string) {
  return c.body(JSON.stringify(body), 200, {
    "content-type": `${contentType}; charset=utf-8`,
    etag,
    "cache-control": MANIFEST_CACHE_CONTROL,
    vary: "authorization",
  });
}

function notModified(c: Context<AppEnv>, etag: string) {
  return c.body(null, 304, { etag, "cache-control": MANIFEST_CACHE_CONTROL, vary: "authorization" });
}
