import { describeIssues, installInputSchema, pluginIdSchema } from "@plugins/schema";
import type { Context, Hono } from "hono";
import { requireSignedIn } from "../auth";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { pluginsClient } from "../plugins-client";
import { limitBody } from "../request-limits";

export const TENANT_HEADER = "x-tenant-id";

/**
 * The REST calls of the service this platform replaces, for the tenant named in `x-tenant-id`:
 * install, then start, stop and status of an instance. tRPC (`installations.*`) has the rest.
 */
export function registerInstallations(app: Hono<AppEnv>) {
  /** Install a plugin: `{"pluginId", "version"?, "instanceId"?, "updatePolicy"?, "config"?, "activate"?}`. */
  app.post("/api/plugins/install", requireSignedIn, limitBody, async (c) => {
    const tenantId = actingTenant(c);
    const body: unknown = await c.req.json().catch(() => {
      throw new ApiError("BAD_REQUEST", "The body is not valid JSON");
    });
    const input = installInputSchema.safeParse({ ...(isObject(body) ? body : {}), tenantId });
    if (!isObject(body) || !input.success) {
      throw new ApiError(
        "BAD_REQUEST",
        input.success ? "The body must be a JSON object" : describeIssues(input.error.issues),
      );
    }
    const installation = await pluginsClient(c).installations.install.mutate(input.data);
    return c.json(installation, 201);
  });

  app.post("/api/plugins/start/:instanceId", requireSignedIn, async (c) =>
    c.json(await pluginsClient(c).installations.activate.mutate(instanceRef(c))),
  );

  app.post("/api/plugins/stop/:instanceId", requireSignedIn, async (c) =>
    c.json(await pluginsClient(c).installations.deactivate.mutate(instanceRef(c))),
  );

  /** The instance, and for a server-side plugin how its code is doing (`runtime`: installations.metrics). */
  app.get("/api/plugins/status/:instanceId", requireSignedIn, async (c) => {
    const client = pluginsClient(c);
    const ref = instanceRef(c);
    const [instance, { runtime }] = await Promise.all([
      client.installations.get.query(ref),
      client.installations.metrics.query(ref),
    ]);
    return c.json({ ...instance, runtime });
  });
}

/**
 * The tenant in `x-tenant-id`. Whether the caller may act for it is the plugins worker's one
 * rule for every transport: another tenant answers 404, exactly like a tenant that does not
 * exist, so tenant names cannot be probed over REST either.
 */
function actingTenant(c: Context<AppEnv>): string {
  const tenantId = c.req.header(TENANT_HEADER);
  if (!tenantId) throw new ApiError("BAD_REQUEST", `The ${TENANT_HEADER} header is required`);
  return tenantId;
}

function instanceRef(c: Context<AppEnv>) {
  const tenantId = actingTenant(c);
  const instanceId = c.req.param("instanceId") ?? "";
  const parsed = pluginIdSchema.safeParse(instanceId);
  if (!parsed.success) throw new ApiError("BAD_REQUEST", `instanceId: ${describeIssues(parsed.error.issues)}`);
  return { tenantId, instanceId: parsed.data };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
