import { createLogger } from "@plugins/runtime";
import {
  type CallSample,
  ENGINE_CALL_HEADER,
  type EngineCallFacts,
  EXPECTED_KIND_HEADER,
  PLUGIN_REQUEST_HEADERS,
} from "@plugins/schema";
import type { Context } from "hono";
import { readConfig } from "../config";
import type { ConfigKeys } from "../installations/secrets";
import type { PluginsApp } from "../internal/identity";
import { onDemandDatabase } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { type InstanceDocument, instanceKey, instanceModel } from "../read-models/engine-instances";
import { readDocument } from "../read-models/read-model";
import type { ReadDocument } from "../read-models/stored-documents";
import { assertTenantMember } from "../trpc/init";
import { recordCall, recordLimitHit } from "./call-records";
import { pluginFailure, withinDeadline } from "./invocations";
import { engineExports, loadIsolate } from "./isolates";
import { passOn } from "./plugin-responses";
import { instanceFromDocument, pluginFacts, type RunningInstance } from "./running-instances";

const logEvent = createLogger("plugins");

/**
 * `/engine/tenants/:tenantId/instances/:instanceId/<operation path>`: a request for an
 * instance's handler, sent by the gateway with the caller's verified identity. The instance
 * must be the tenant's (else 404, as everywhere), active (else 409), and run a server module
 * that declares the operation when it declares any.
 */
export async function serveOperation(c: Context<PluginsApp>): Promise<Response> {
  const { identity, request: facts } = c.get("claims");
  const tenantId = c.req.param("tenantId") ?? "";
  const instanceId = c.req.param("instanceId") ?? "";
  if (identity.role === "guest") throw new RegistryError("UNAUTHORIZED", "Sign in to call a plugin");
  assertTenantMember(identity, tenantId);
  const config = readConfig(c.env);
  const instance = await activeInstance(c, tenantId, instanceId);
  const expectedKind = c.req.header(EXPECTED_KIND_HEADER);
  if (expectedKind !== undefined && instance.kind !== expectedKind) {
    throw new RegistryError("NOT_FOUND", `Instance '${instanceId}' is not a ${expectedKind} plugin`);
  }

  const url = new URL(c.req.url);
  const base = `/engine/tenants/${encodeURIComponent(tenantId)}/instances/${encodeURIComponent(instanceId)}`;
  const path = url.pathname.slice(base.length) || "/";
  assertDeclared(instance, c.req.method, path);

  const startedAt = Date.now();
  const isolate = await loadIsolate(c.env, engineExports(c.executionCtx), instance, {
    limits: config.engine.limits,
    privateHosts: config.engine.privateHosts,
  });
  const entry = isolate.getEntrypoint(undefined, {
    props: {
      plugin: pluginFacts(instance),
      caller: { id: identity.sub, role: identity.role, tenantId: identity.tenant ?? tenantId },
    },
    limits: config.engine.limits,
  });
  const outcome = (status: number, detail: Record<string, unknown> = {}) =>
    logEvent(status >= 500 ? "warn" : "info", "plugin_request", {
      requestId: facts.requestId,
      tenantId,
      instanceId,
      pluginId: instance.pluginId,
      version: instance.version,
      method: c.req.method,
      path,
      status,
      durationMs: Date.now() - startedAt,
      ...detail,
    });
  const recorder = {
    stores: c.env.INSTANCE_STORES,
    waitUntil: (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise),
    windowMs: config.engine.metricsWindowMs,
  };
  const record = (sample: Omit<CallSample, "at" | "durationMs">) =>
    recordCall(recorder, instance.installationId, { at: startedAt, durationMs: Date.now() - startedAt, ...sample });
  let response: Response;
  try {
    response = await withinDeadline(entry.fetch(pluginRequest(c.req.raw, path + url.search)), config.engine.deadlineMs);
  } catch (error) {
    const failure = pluginFailure(error, config.engine.deadlineMs);
    outcome(failure.status, { failure: failure.error.message });
    record({
      failed: true,
      deadlineHit: failure.error.code === "GATEWAY_TIMEOUT",
      limitHit: false,
      error: failure.error.message,
    });
    throw failure.error;
  }
  // A call that answered is logged once, by the gateway, with these facts; a plugin's 5xx also here.
  if (response.status >= 500) outcome(response.status);
  try {
    const answer = passOn(response, config.engine.maxResponseBytes, () => {
      logEvent("warn", "plugin_response_cut", {
        requestId: facts.requestId,
        tenantId,
        instanceId,
        limit: config.engine.maxResponseBytes,
      });
      recordLimitHit(recorder, instance.installationId);
    });
    const failed = response.status >= 500;
    record({ failed, deadlineHit: false, limitHit: false, error: failed ? `answered ${response.status}` : null });
    const answeredBy: EngineCallFacts = { pluginId: instance.pluginId, version: instance.version, instanceId };
    answer.headers.set(ENGINE_CALL_HEADER, JSON.stringify(answeredBy));
    return answer;
  } catch (error) {
    if (error instanceof RegistryError)
      record({ failed: true, deadlineHit: false, limitHit: true, error: error.message });
    throw error;
  }
}
/**
 * The live, active instance with its server module, from its read model: no Postgres unless
 * the document must be rebuilt, so calls keep answering while the database is down.
 */
async function activeInstance(c: Context<PluginsApp>, tenantId: string, instanceId: string): Promise<RunningInstance> {
  const config = readConfig(c.env);
  const database = onDemandDatabase(config.database);
  try {
    const document = await readDocument(database, c.env.BUNDLES, instanceModel, instanceKey(tenantId, instanceId), {
      maxAgeMs: config.engine.instanceTtlMs,
    });
    if (!document) throw new RegistryError("NOT_FOUND", `No instance '${instanceId}'`);
    const instance = await runningOf(document, config.configKeys);
    if (instance.blocked) {
      throw new RegistryError(
        "GONE",
        `${instance.pluginId}@${instance.version} was blocked: upgrade instance '${instanceId}' to call it`,
      );
    }
    if (instance.status !== "active") {
      throw new RegistryError(
        "CONFLICT",
        `Instance '${instanceId}' is ${instance.status}, not active: activate it to call it`,
      );
    }
    return instance;
  } finally {
    c.executionCtx.waitUntil(database.close());
  }
}

/**
 * What each document read runs, its secrets opened once: a document answered again from memory
 * (`maxAgeMs`) is the same object, so its calls skip the decryption.
 */
const running = new WeakMap<ReadDocument, Promise<RunningInstance>>();

function runningOf(document: ReadDocument, configKeys: ConfigKeys): Promise<RunningInstance> {
  let instance = running.get(document);
  if (!instance) {
    instance = instanceFromDocument(document.document as InstanceDocument, configKeys);
    running.set(document, instance);
    instance.catch(() => running.delete(document));
  }
  return instance;
}

/** A plugin that lists its operations answers only those: anything else is a 404 without running its code. */
function assertDeclared(instance: RunningInstance, method: string, path: string) {
  const { operations } = instance.permissions;
  if (operations.length === 0) return;
  const declared = operations.some(
    (operation) =>
      (operation.method === "*" || operation.method === method || (operation.method === "GET" && method === "HEAD")) &&
      (operation.path.endsWith("/*")
        ? path === operation.path.slice(0, -2) || path.startsWith(operation.path.slice(0, -1))
        : path === operation.path),
  );
  if (!declared) {
    throw new RegistryError("NOT_FOUND", `${instance.pluginId} declares no operation ${method} ${path}`);
  }
}

/** The request the plugin's handler gets: the operation's path and query, the body, and only PLUGIN_REQUEST_HEADERS. */
function pluginRequest(incoming: Request, pathAndQuery: string): Request {
  const headers = new Headers();
  for (const name of PLUGIN_REQUEST_HEADERS) {
    const value = incoming.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
  return new Request(new URL(pathAndQuery, "https://plugin.invalid"), {
    method: incoming.method,
    headers,
    body: hasBody ? incoming.body : null,
  });
}
