import { describeIssues, installInputSchema } from "@plugins/schema";
import type { Hono } from "hono";
import { requireSignedIn } from "../auth";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { pluginsClient } from "../plugins-client";
import { limitBody } from "../request-limits";

export const TENANT_HEADER = "x-tenant-id";

export function registerInstallations(app: Hono<AppEnv>) {
  /** Install a plugin for the tenant in `x-tenant-id`: `{"pluginId", "version"?, "instanceId"?}`. */
  app.post("/api/plugins/install", requireSignedIn, limitBody, async (c) => {
    const tenantId = c.req.header(TENANT_HEADER);
    if (!tenantId) throw new ApiError("BAD_REQUEST", `The ${TENANT_HEADER} header is required`);
    const identity = c.get("identity");
    if (identity.role !== "admin" && identity.tenant !== tenantId) {
      throw new ApiError("FORBIDDEN", `Your token does not allow acting for tenant '${tenantId}'`);
    }
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
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
