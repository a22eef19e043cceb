/**
 * Lifecycle hooks of server-side plugins, run by the engine in the instance's isolate inside
 * the move's transaction: install, activate, deactivate, uninstall, upgrade. A hook that
 * throws or never finishes refuses the move (409 naming the hook and the plugin's message)
 * and nothing of the move is stored; an uninstall deletes the instance's data; and what a
 * hook did stays done when the database write after it fails.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectNothingChanged } from "./attack-helpers";
import { type Cast, mintCast } from "./cast";
import { expectError, expectTrpcError, install, publish, trpc } from "./helpers";
import { callInstance, installActive, publishServerPlugin } from "./server-plugins";
import { type Stack, startStack } from "./stack";

const HOOK_DEADLINE_MS = 1000;

/**
 * Records every hook it runs in its storage (`GET /events` lists them); an instance whose id
 * names a hook refuses it (`refuse-onactivate`) or never finishes it (`hang-onactivate`).
 */
const HOOKED = (version: string) => `
async function record(env, hook, event) {
  const { instanceId } = env.PLUGIN;
  if (instanceId === "refuse-" + hook.toLowerCase()) throw new Error("missing api key for " + hook);
  if (instanceId === "hang-" + hook.toLowerCase()) await new Promise((resolve) => setTimeout(resolve, 3600000));
  const events = (await env.STORAGE.get("events")) ?? [];
  events.push({ hook, event, ranOn: "${version}" });
  await env.STORAGE.put("events", events);
}
export default {
  async fetch(request, env) {
    return Response.json((await env.STORAGE.get("events")) ?? []);
  },
  onInstall: (event, env) => record(env, "onInstall", event),
  onActivate: (event, env) => record(env, "onActivate", event),
  onDeactivate: (event, env) => record(env, "onDeactivate", event),
  onUninstall: (event, env) => record(env, "onUninstall", event),
  onUpdate: (event, env) => record(env, "onUpdate", event),
};
`;

const permissions = { storage: { quotaBytes: 64 * 1024 } };

async function events(stack: Stack, token: string, instanceId: string) {
  const response = await callInstance(stack, token, instanceId, "/events");
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return (JSON.parse(text) as { hook: string; event: Record<string, unknown>; ranOn: string }[]).map(
    ({ hook, event, ranOn }) => `${hook}:${JSON.stringify(event)}@${ranOn}`,
  );
}

/** What the instance's Durable Object holds, read from Node past every worker: proof of deletion. */
async function storedBytes(stack: Stack, installationId: string): Promise<{ bytes: number; entries: number }> {
  const namespace = await stack.mf.getDurableObjectNamespace("INSTANCE_STORES", "plugins");
  const store = namespace.get(namespace.idFromName(installationId)) as unknown as {
    usage(): Promise<{ bytes: number; entries: number }>;
  };
  return store.usage();
}

describe("lifecycle hooks", () => {
  let stack: Stack;
  let cast: Cast;

  beforeAll(async () => {
    stack = await startStack({ pluginsBindings: { ENGINE_HOOK_DEADLINE_MS: String(HOOK_DEADLINE_MS) } });
    cast = await mintCast(stack);
    await publishServerPlugin(stack, cast.alice, { id: "hooked", server: HOOKED("1.0.0"), permissions });
  }, 60_000);
  afterAll(() => stack?.stop());

  it("run on install, activate, deactivate and activate again, in order, in the instance's isolate", async () => {
    const client = trpc(stack, cast.alice);
    const response = await install(stack, cast.alice, "acme", { pluginId: "hooked", instanceId: "hooked" });
    expect(response.status).toBe(201);
    await client.installations.activate.mutate({ tenantId: "acme", instanceId: "hooked" });
    await client.installations.deactivate.mutate({ tenantId: "acme", instanceId: "hooked" });
    await client.installations.activate.mutate({ tenantId: "acme", instanceId: "hooked" });
    expect(await events(stack, cast.alice, "hooked")).toEqual([
      'onInstall:{"type":"install"}@1.0.0',
      'onActivate:{"type":"activate"}@1.0.0',
      'onDeactivate:{"type":"deactivate"}@1.0.0',
      'onActivate:{"type":"activate"}@1.0.0',
    ]);
  });

  it("run onUpdate with both versions on the new version's code, on an upgrade and a rollback", async () => {
    await publishServerPlugin(stack, cast.alice, {
      id: "hooked",
      version: "2.0.0",
      server: HOOKED("2.0.0"),
      permissions,
    });
    const client = trpc(stack, cast.alice);
    await client.installations.upgrade.mutate({ tenantId: "acme", instanceId: "hooked", version: "2.0.0" });
    await client.installations.rollback.mutate({ tenantId: "acme", instanceId: "hooked" });
    expect((await events(stack, cast.alice, "hooked")).slice(-2)).toEqual([
      'onUpdate:{"type":"update","fromVersion":"1.0.0","toVersion":"2.0.0"}@2.0.0',
      'onUpdate:{"type":"update","fromVersion":"2.0.0","toVersion":"1.0.0"}@1.0.0',
    ]);
  });

  it("refuse the move with 409 naming the hook and the plugin's message when one throws, storing nothing", async () => {
    const client = trpc(stack, cast.alice);
    await install(stack, cast.alice, "acme", { pluginId: "hooked", version: "1.0.0", instanceId: "refuse-onactivate" });
    const before = await stack.snapshot();
    const refused = await client.installations.activate
      .mutate({ tenantId: "acme", instanceId: "refuse-onactivate" })
      .catch((error: Error) => error);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toBe(
      "hooked@1.0.0 refused: its onActivate hook threw: missing api key for onActivate",
    );
    expect(await stack.snapshot()).toEqual(before);
    const row = await client.installations.get.query({ tenantId: "acme", instanceId: "refuse-onactivate" });
    expect(row.status).toBe("installed");
  });

  it("refuse an install whose onInstall throws (409 over REST), with no instance stored", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await install(stack, cast.alice, "acme", { pluginId: "hooked", instanceId: "refuse-oninstall" });
      expect(await expectError(response, 409, "CONFLICT")).toContain("onInstall hook threw: missing api key");
    });
  });

  it("refuse the move when a hook does not finish within the deadline", async () => {
    await install(stack, cast.alice, "acme", { pluginId: "hooked", version: "1.0.0", instanceId: "hang-onactivate" });
    const started = Date.now();
    const response = await fetch(`${stack.url}/api/plugins/start/hang-onactivate`, {
      method: "POST",
      headers: { authorization: `Bearer ${cast.alice}`, "x-tenant-id": "acme" },
    });
    expect(await expectError(response, 409, "CONFLICT")).toContain(
      `onActivate hook did not finish within ${HOOK_DEADLINE_MS} ms`,
    );
    expect(Date.now() - started).toBeLessThan(HOOK_DEADLINE_MS + 5000);
  });

  it("leave what they stored for an admin to export, a page at a time; an editor may not", async () => {
    const root = trpc(stack, cast.root);
    const page = await root.installations.exportStorage.query({ tenantId: "acme", instanceId: "hooked", limit: 10 });
    expect(page.entries.map((entry) => entry.key)).toEqual(["events"]);
    expect(page.entries[0]?.value).toEqual(expect.arrayContaining([expect.objectContaining({ hook: "onInstall" })]));
    expect(page.cursor).toBeNull();
    expect(page.usage.entries).toBe(1);
    expect(page.usage.bytes).toBeGreaterThan(0);
    await expectTrpcError(
      trpc(stack, cast.alice).installations.exportStorage.query({ tenantId: "acme", instanceId: "hooked" }),
      "FORBIDDEN",
      403,
    );
  });

  it("delete the instance's data on uninstall, after onUninstall ran", async () => {
    const client = trpc(stack, cast.alice);
    const installed = await installActive(stack, cast.alice, "acme", "hooked", "short-lived");
    expect((await storedBytes(stack, installed.id)).entries).toBe(1);
    await client.installations.deactivate.mutate({ tenantId: "acme", instanceId: "short-lived" });
    await client.installations.uninstall.mutate({ tenantId: "acme", instanceId: "short-lived" });
    expect(await storedBytes(stack, installed.id)).toEqual({ bytes: 0, entries: 0 });
    await expect
      .poll(() => stack.logs().filter((line) => line.event === "instance_data_deleted"))
      .toContainEqual(expect.objectContaining({ installationId: installed.id, instanceId: "short-lived" }));
  });

  it("leave the instance stores alone when a frontend-only plugin is uninstalled: it never had one", async () => {
    await publish(stack, cast.alice, { id: "banner", name: "Banner", version: "1.0.0", category: "ui" });
    const installed = await install(stack, cast.alice, "acme", { pluginId: "banner", instanceId: "banner" });
    const { id } = (await installed.json()) as { id: string };
    const client = trpc(stack, cast.alice);
    await client.installations.uninstall.mutate({ tenantId: "acme", instanceId: "banner" });
    // A later deletion's line proves the log has caught up past the banner's uninstall.
    const later = await installActive(stack, cast.alice, "acme", "hooked", "after-banner");
    await client.installations.deactivate.mutate({ tenantId: "acme", instanceId: "after-banner" });
    await client.installations.uninstall.mutate({ tenantId: "acme", instanceId: "after-banner" });
    const deletions = () => stack.logs().filter((line) => line.event === "instance_data_deleted");
    await expect.poll(deletions).toContainEqual(expect.objectContaining({ installationId: later.id }));
    expect(deletions()).not.toContainEqual(expect.objectContaining({ installationId: id }));
  });
});

describe("a hook's side effects when the database write after it fails", () => {
  let stack: Stack;
  let cast: Cast;
  /** Only onActivate: its install runs no hook, so the failpoint spares it. */
  const ACTIVATOR = `export default {
  async fetch() { return new Response("ok"); },
  async onActivate(event, env) {
    await env.STORAGE.put("activated-" + Date.now() + "-" + Math.random(), true);
  },
};`;

  beforeAll(async () => {
    stack = await startStack({ pluginsBindings: { FAILPOINTS: "engine-after-hook" } });
    cast = await mintCast(stack);
    await publishServerPlugin(stack, cast.alice, { id: "activator", server: ACTIVATOR, permissions });
  }, 60_000);
  afterAll(() => stack?.stop());

  it("stay done: the move answers 503 and is not stored, what the hook wrote stays, and a retry runs it again", async () => {
    const response = await install(stack, cast.alice, "acme", { pluginId: "activator", instanceId: "activator" });
    const text = await response.text();
    expect(response.status, text).toBe(201);
    const installed = JSON.parse(text) as { id: string; status: string };
    expect(installed.status).toBe("installed");
    const client = trpc(stack, cast.alice);
    for (const attempt of [1, 2]) {
      const before = await stack.snapshot();
      const activate = await fetch(`${stack.url}/api/plugins/start/activator`, {
        method: "POST",
        headers: { authorization: `Bearer ${cast.alice}`, "x-tenant-id": "acme" },
      });
      await expectError(activate, 503, "SERVICE_UNAVAILABLE");
      expect(await stack.snapshot()).toEqual(before);
      expect((await client.installations.get.query({ tenantId: "acme", instanceId: "activator" })).status).toBe(
        "installed",
      );
      expect((await storedBytes(stack, installed.id)).entries).toBe(attempt);
    }
  });
});
