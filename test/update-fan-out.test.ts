import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import { internalClaimsFor, pluginMetadata, publish, trpc } from "./helpers";
import { callInstance, publishServerPlugin } from "./server-plugins";
import { type Stack, startStack } from "./stack";
import { followed, publishFollowed } from "./update-passes";

/**
 * Automatic updates run from the UPDATES queue: a publish (or a move of `latest`, a yank, a
 * block) queues a pass, and the plugins worker moves the plugin's followers in pages of
 * UPDATES_PAGE_SIZE instances, each page in a transaction of its own.
 */
const PAGE_SIZE = 2;

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack({ pluginsBindings: { UPDATES_PAGE_SIZE: String(PAGE_SIZE) } });
  cast = await mintCast(stack);
});
afterAll(() => stack?.stop());

interface InstanceRow {
  id: string;
  instance_id: string;
  version: string;
  revision: number;
  held_update: { version: string; reasons: string[] } | null;
}

async function instancesOf(on: Stack, tenantId: string): Promise<InstanceRow[]> {
  const { rows } = await on.db.query<InstanceRow>(
    "select id, instance_id, version, revision, held_update from installations where tenant_id = $1 order by instance_id",
    [tenantId],
  );
  return rows;
}

/** The automatic-update audit entries of a tenant's instances, oldest first. */
async function autoUpdatesOf(on: Stack, tenantId: string) {
  const { rows } = await on.db.query<{ resource_id: string; actor_id: string; details: Record<string, string> }>(
    `select resource_id, actor_id, details from audit_log
      where tenant_id = $1 and action = 'installation.auto_update' order by id`,
    [tenantId],
  );
  return rows;
}

/** Installs `count` instances of `pluginId` on `updatePolicy`, active, as the tenant's editor. */
async function installMany(
  on: Stack,
  token: string,
  pluginId: string,
  prefix: string,
  count: number,
  updatePolicy: string,
) {
  for (let index = 0; index < count; index++) {
    await trpc(on, token).installations.install.mutate({
      tenantId: "fan",
      pluginId,
      instanceId: `${prefix}-${index}`,
      version: "1.0.0",
      updatePolicy: updatePolicy as "minor",
      activate: true,
    });
  }
}

/** Lines the plugins worker logged with this event. */
const logged = (on: Stack, event: string) => on.logs().filter((line) => line.event === event);

describe("a pass over a plugin's followers", () => {
  let editor = "";
  const FOLLOWERS = PAGE_SIZE * 2 + 1;

  beforeAll(async () => {
    editor = await stack.token({ sub: "fay", role: "editor", tenant: "fan" });
    await publish(stack, cast.alice, pluginMetadata({ id: "fanned", version: "1.0.0" }));
    await installMany(stack, editor, "fanned", "minor", FOLLOWERS, "minor");
    await installMany(stack, editor, "fanned", "pinned", 2, "pinned");
  });

  it("moves every follower once the queue ran, over more pages than one, and leaves pinned instances alone", async () => {
    await publishFollowed(stack, cast.alice, pluginMetadata({ id: "fanned", version: "1.1.0" }));
    const instances = await instancesOf(stack, "fan");
    expect(instances.map((row) => [row.instance_id, row.version, row.revision])).toEqual([
      ...Array.from({ length: FOLLOWERS }, (_, index) => [`minor-${index}`, "1.1.0", 2]),
      ["pinned-0", "1.0.0", 1],
      ["pinned-1", "1.0.0", 1],
    ]);
    // One entry per moved instance, in the publisher's name, as when the move ran inside the publish.
    const audit = await autoUpdatesOf(stack, "fan");
    expect(audit).toHaveLength(FOLLOWERS);
    expect(new Set(audit.map((entry) => entry.resource_id)).size).toBe(FOLLOWERS);
    for (const entry of audit) {
      expect(entry).toMatchObject({ actor_id: "alice", details: { from: "1.0.0", to: "1.1.0", policy: "minor" } });
    }
  });

  it("refreshes the tenant manifest of every page's moves", async () => {
    const response = await fetch(`${stack.url}/api/tenants/fan/plugins/manifest`, {
      headers: { authorization: `Bearer ${editor}` },
    });
    expect(response.status).toBe(200);
    const manifest = (await response.json()) as { plugins: { instanceId: string; version: string }[] };
    const versions = Object.fromEntries(manifest.plugins.map((plugin) => [plugin.instanceId, plugin.version]));
    expect(versions).toEqual({
      ...Object.fromEntries(Array.from({ length: FOLLOWERS }, (_, index) => [`minor-${index}`, "1.1.0"])),
      "pinned-0": "1.0.0",
      "pinned-1": "1.0.0",
    });
  });

  it("moves nothing twice when the same pass is delivered again", async () => {
    const before = { instances: await instancesOf(stack, "fan"), audit: await autoUpdatesOf(stack, "fan") };
    const queue = await stack.mf.getQueueProducer("UPDATES", "plugins");
    const done = logged(stack, "update_pass_done").length;
    const pass = { pluginId: "fanned", actor: internalClaimsFor({ sub: "alice", role: "editor", tenant: null }) };
    await queue.send(pass, { contentType: "json" });
    await queue.send(pass, { contentType: "json" });
    await expect.poll(() => logged(stack, "update_pass_done").length).toBe(done + 2);
    expect(await instancesOf(stack, "fan")).toEqual(before.instances);
    expect(await autoUpdatesOf(stack, "fan")).toEqual(before.audit);
  });

  it("brings two publishes in a row to the newer version, each follower moved once a pass at most", async () => {
    await followed(stack, "fanned", async () => {
      await publish(stack, cast.alice, pluginMetadata({ id: "fanned", version: "1.2.0" }));
      await publish(stack, cast.alice, pluginMetadata({ id: "fanned", version: "1.3.0" }));
    });
    const instances = await instancesOf(stack, "fan");
    const followers = instances.filter((row) => row.instance_id.startsWith("minor-"));
    expect(followers.map((row) => row.version)).toEqual(Array(FOLLOWERS).fill("1.3.0"));
    // Each follower's moves chain without a gap or a repeat: 1.0.0 → 1.1.0, then on to 1.3.0
    // directly or through 1.2.0, never backwards.
    const audit = await autoUpdatesOf(stack, "fan");
    for (const follower of followers) {
      const moves = audit.filter((entry) => entry.resource_id === follower.id).map((entry) => entry.details);
      expect(moves[0]).toMatchObject({ from: "1.0.0", to: "1.1.0" });
      for (let index = 1; index < moves.length; index++) expect(moves[index]?.from).toBe(moves[index - 1]?.to);
      expect(moves.at(-1)?.to).toBe("1.3.0");
      expect(moves.length).toBeLessThanOrEqual(3);
    }
  });

  it("holds a follower whose config the new version refuses, with its audit entry and its heldUpdate, and moves the others", async () => {
    const labelOnly = { type: "object", properties: { label: { type: "string" } }, additionalProperties: false };
    await publish(stack, cast.alice, pluginMetadata({ id: "picky", version: "1.0.0", config: labelOnly }));
    for (const [instanceId, config] of [
      ["picky-held", { label: "x" }],
      ["picky-moves", {}],
      ["picky-also", {}],
    ] as const) {
      await trpc(stack, editor).installations.install.mutate({
        tenantId: "fan",
        pluginId: "picky",
        instanceId,
        updatePolicy: "minor",
        config,
      });
    }
    // 1.1.0 drops `label`: the instance that set it cannot follow.
    await publishFollowed(
      stack,
      cast.alice,
      pluginMetadata({ id: "picky", version: "1.1.0", config: { type: "object", additionalProperties: false } }),
    );
    const rows = (await instancesOf(stack, "fan")).filter((row) => row.instance_id.startsWith("picky-"));
    expect(rows.map((row) => [row.instance_id, row.version])).toEqual([
      ["picky-also", "1.1.0"],
      ["picky-held", "1.0.0"],
      ["picky-moves", "1.1.0"],
    ]);
    const held = rows.find((row) => row.instance_id === "picky-held");
    expect(held?.held_update).toMatchObject({ version: "1.1.0", reasons: [expect.stringContaining("label")] });
    const { rows: entries } = await stack.db.query(
      "select actor_id, details from audit_log where action = 'installation.update_held' and resource_id = $1",
      [held?.id],
    );
    expect(entries).toEqual([
      {
        actor_id: "alice",
        details: { instanceId: "picky-held", from: "1.0.0", to: "1.1.0", problems: held?.held_update?.reasons },
      },
    ]);
  });

  it("runs each follower's onUpdate hook in its isolate: one the hook refuses is held with its message, the other moves", async () => {
    // Records the updates it let through; refuses them for the instance named "hook-refuses".
    const server = (version: string) => `
export default {
  async fetch(request, env) {
    return Response.json((await env.STORAGE.get("updates")) ?? []);
  },
  async onUpdate(event, env) {
    if (env.PLUGIN.instanceId === "hook-refuses") throw new Error("no update today");
    const updates = (await env.STORAGE.get("updates")) ?? [];
    updates.push({ ...event, ranOn: "${version}" });
    await env.STORAGE.put("updates", updates);
  },
};`;
    const permissions = { storage: { quotaBytes: 64 * 1024 } };
    await publishServerPlugin(stack, cast.alice, { id: "hooked", server: server("1.0.0"), permissions });
    for (const instanceId of ["hook-moves", "hook-refuses"]) {
      await trpc(stack, editor).installations.install.mutate({
        tenantId: "fan",
        pluginId: "hooked",
        instanceId,
        updatePolicy: "minor",
        activate: true,
      });
    }
    await followed(stack, "hooked", () =>
      publishServerPlugin(stack, cast.alice, { id: "hooked", version: "1.1.0", server: server("1.1.0"), permissions }),
    );
    const rows = (await instancesOf(stack, "fan")).filter((row) => row.instance_id.startsWith("hook-"));
    expect(rows.map((row) => [row.instance_id, row.version])).toEqual([
      ["hook-moves", "1.1.0"],
      ["hook-refuses", "1.0.0"],
    ]);
    expect(rows[1]?.held_update).toMatchObject({
      version: "1.1.0",
      reasons: [expect.stringContaining("no update today")],
    });
    const response = await callInstance(stack, editor, "hook-moves", "/");
    expect(await response.json()).toEqual([
      { type: "update", fromVersion: "1.0.0", toVersion: "1.1.0", ranOn: "1.1.0" },
    ]);
  });

  it("acknowledges a malformed message and one naming an unknown plugin, logging each once, never retrying them", async () => {
    const queue = await stack.mf.getQueueProducer("UPDATES", "plugins");
    await queue.send({ pluginId: 42 }, { contentType: "json" });
    await queue.send({ pluginId: "no-such-plugin", actor: internalClaimsFor() }, { contentType: "json" });
    await expect.poll(() => logged(stack, "update_pass_malformed").length).toBe(1);
    await expect.poll(() => logged(stack, "update_pass_unknown_plugin").length).toBe(1);
    expect(logged(stack, "update_pass_malformed")[0]?.problem).toContain("pluginId");
    // A later pass ends after them; by then a retried message would have been delivered again.
    await followed(stack, "fanned", () =>
      publish(stack, cast.alice, pluginMetadata({ id: "fanned", version: "1.3.1" })),
    );
    expect(logged(stack, "update_pass_malformed")).toHaveLength(1);
    expect(logged(stack, "update_pass_unknown_plugin")).toHaveLength(1);
    expect(logged(stack, "update_pass_failed")).toEqual([]);
  });
});

describe("a delivery that fails", () => {
  let flaky: Stack;
  let editor = "";
  const FOLLOWERS = PAGE_SIZE * 2 + 1;

  beforeAll(async () => {
    // Every message's first delivery fails after its page committed, as an outage would.
    flaky = await startStack({
      pluginsBindings: { UPDATES_PAGE_SIZE: String(PAGE_SIZE), FAILPOINTS: "update-pass-after-page" },
    });
    editor = await flaky.token({ sub: "fay", role: "editor", tenant: "fan" });
    const { alice } = await mintCast(flaky);
    await publish(flaky, alice, pluginMetadata({ id: "retried", version: "1.0.0" }));
    await installMany(flaky, editor, "retried", "minor", FOLLOWERS, "minor");
    await publishFollowed(flaky, alice, pluginMetadata({ id: "retried", version: "1.1.0" }));
  });
  afterAll(() => flaky?.stop());

  it("is retried by the queue, and its page run again moves nothing twice", async () => {
    // Without the retries, the pass would end after its first page: the continuation is sent
    // only by a delivery that succeeded.
    const instances = await instancesOf(flaky, "fan");
    expect(instances.map((row) => [row.version, row.revision])).toEqual(Array(FOLLOWERS).fill(["1.1.0", 2]));
    const audit = await autoUpdatesOf(flaky, "fan");
    expect(audit.map((entry) => entry.resource_id).sort()).toEqual(instances.map((row) => row.id).sort());
    const failures = logged(flaky, "update_pass_failed");
    expect(failures.length).toBeGreaterThanOrEqual(Math.ceil(FOLLOWERS / PAGE_SIZE));
    for (const failure of failures) expect(failure).toMatchObject({ pluginId: "retried", attempts: 1, retried: true });
  });
});

describe("a page whose hooks are slow", () => {
  let slow: Stack;
  const HOOK_MS = 900;
  const FOLLOWERS = 5;

  beforeAll(async () => {
    // A page stops starting instances 1500 + 500 ms before its 4 s deadline: at 2 s.
    slow = await startStack({
      pluginsBindings: { DATABASE_DEADLINE_MS: "4000", ENGINE_HOOK_DEADLINE_MS: "1500" },
    });
  });
  afterAll(() => slow?.stop());

  it("ends early and leaves the rest to the next page, where one transaction for all would pass its deadline", async () => {
    const { alice } = await mintCast(slow);
    const editor = await slow.token({ sub: "fay", role: "editor", tenant: "fan" });
    const server = `export default {
  fetch: () => new Response("ok"),
  onUpdate: () => new Promise((resolve) => setTimeout(resolve, ${HOOK_MS})),
};`;
    const permissions = { storage: { quotaBytes: 64 * 1024 } };
    await publishServerPlugin(slow, alice, { id: "sluggish", server, permissions });
    await installMany(slow, editor, "sluggish", "slow", FOLLOWERS, "minor");
    await followed(slow, "sluggish", () =>
      publishServerPlugin(slow, alice, { id: "sluggish", version: "1.1.0", server, permissions }),
    );
    expect((await instancesOf(slow, "fan")).map((row) => row.version)).toEqual(Array(FOLLOWERS).fill("1.1.0"));
    expect(logged(slow, "update_pass_failed")).toEqual([]);
  });
});
