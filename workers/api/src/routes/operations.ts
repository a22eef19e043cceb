import { EXPECTED_KIND_HEADER, internalToken, KIND_OPERATIONS, PLUGIN_REQUEST_HEADERS } from "@plugins/schema";
import type { Context, Hono } from "hono";
import { requireSignedIn } from "../auth";
import { readConfig } from "../config";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { callPlugins, internalClaims, mintInternalToken, PLUGINS_ORIGIN } from "../plugins-client";
import { limitBody } from "../request-limits";
import { TENANT_HEADER } from "./installations";

const INSTANCES_PREFIX = "/api/plugins/instances/";

/**
 * Calls to instances' server-side handlers (the plugin engine, in the plugins worker):
 * - `ANY /api/plugins/instances/:instanceId/*`: the operation at the path after the id;
 * - the shapes of the service this platform replaces, for an instance of their kind:
 *   `/api/plugins/sources/:instanceId/{documents,search,sync}`, `/api/plugins/agents/:instanceId/{chat,functions}`.
 * The tenant is the caller's own, from its token (an admin names one in `x-tenant-id`); the
 * plugin gets the verified caller as data, never the bearer token or any client header but
 * content negotiation (PLUGIN_REQUEST_HEADERS).
 */
export function registerOperations(app: Hono<AppEnv>) {
  app.all(`${INSTANCES_PREFIX}:instanceId`, requireSignedIn, limitBody, (c) => callInstance(c, "/"));
  app.all(`${INSTANCES_PREFIX}:instanceId/*`, requireSignedIn, limitBody, (c) => {
    const afterPrefix = c.req.path.slice(INSTANCES_PREFIX.length);
    return callInstance(c, afterPrefix.slice(afterPrefix.indexOf("/")));
  });
  for (const [collection, { kind, operations }] of Object.entries(KIND_OPERATIONS)) {
    for (const operation of operations) {
      app.all(`/api/plugins/${collection}/:instanceId/${operation}`, requireSignedIn, limitBody, (c) =>
        callInstance(c, `/${operation}`, kind),
      );
    }
  }
}

/** Forwards the call to the plugins worker as the verified caller, and passes its answer on as it streams. */
async function callInstance(c: Context<AppEnv>, path: string, expectedKind?: string): Promise<Response> {
  const identity = c.get("identity");
  const tenantId = (identity.role === "admin" ? c.req.header(TENANT_HEADER) : undefined) ?? identity.tenant;
  if (!tenantId) throw new ApiError("BAD_REQUEST", `The token names no tenant: an admin names one in ${TENANT_HEADER}`);
  const instanceId = c.req.param("instanceId") ?? "";
  const headers = new Headers({
    [internalToken.header]: await mintInternalToken(internalClaims(c), readConfig(c.env).internalTokenSecret),
  });
  for (const name of PLUGIN_REQUEST_HEADERS) {
    const value = c.req.header(name);
    if (value !== undefined) headers.set(name, value);
  }
  if (expectedKind) headers.set(EXPECTED_KIND_HEADER, expectedKind);
  const search = new URL(c.req.url).search;
  const target = `${PLUGINS_ORIGIN}/engine/tenants/${encodeURIComponent(tenantId)}/instances/${encodeURIComponent(instanceId)}${path}${search}`;
  const hasBody = c.req.method !== "GET" && c.req.method !== "HEAD";
  return callPlugins(c, target, { method: c.req.method, headers, body: hasBody ? c.req.raw.body : null });
}
