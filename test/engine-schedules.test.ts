/**
 * Scheduled tasks of server-side plugins: each active instance's Durable Object keeps its
 * version's `permissions.schedules`, an alarm for the soonest, and every run's start,
 * duration and outcome. Time is driven through the object's `runDueTasks(now)`, the method its
 * alarm calls with the clock; one test waits for a real alarm instead.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import { eventually, trpc } from "./helpers";
import { callInstance, installActive, publishServerPlugin } from "./server-plugins";
import { type Stack, startStack } from "./stack";

const DEADLINE_MS = 1500;

/** Records each run in storage (`GET /runs` lists them); the `broken` task throws and `stuck` never ends. */
const SCHEDULED = `
export default {
  async fetch(request, env) {
    return Response.json((await env.STORAGE.get("runs")) ?? []);
  },
  async scheduled(task, env) {
    if (task.name === "broken") throw new Error("the upstream refused the sync");
    if (task.name === "stuck") await new Promise((resolve) => setTimeout(resolve, 3600000));
    const runs = (await env.STORAGE.get("runs")) ?? [];
    runs.push({ name: task.name, cron: task.cron, scheduledTime: task.scheduledTime });
    await env.STORAGE.put("runs", runs);
  },
};
`;

const MINUTE = 60_000;

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack({ pluginsBindings: { ENGINE_DEADLINE_MS: String(DEADLINE_MS) } });
  cast = await mintCast(stack);
  const schedules = [
    { name: "sync", cron: "*/5 * * * *" },
    { name: "report", cron: "0 3 * * *" },
    { name: "broken", cron: "*/5 * * * *" },
    { name: "stuck", cron: "*/5 * * * *" },
  ];
  await publishServerPlugin(stack, cast.alice, {
    id: "scheduled",
    server: SCHEDULED,
    permissions: { storage: { quotaBytes: 64 * 1024 }, schedules },
  });
  await publishServerPlugin(stack, cast.alice, {
    id: "ticking",
    server: SCHEDULED,
    permissions: { storage: { quotaBytes: 64 * 1024 }, schedules: [{ name: "sync", cron: "* * * * *" }] },
  });
}, 60_000);
afterAll(() => stack?.stop());

/** The instance's Durable Object, reached from Node as only the plugins worker otherwise can. */
async function storeOf(installationId: string) {
  const namespace = await stack.mf.getDurableObjectNamespace("INSTANCE_STORES", "plugins");
  return namespace.get(namespace.idFromName(installationId)) as unknown as {
    runDueTasks(now: number): Promise<void>;
  };
}

function schedule(instanceId: string) {
  return trpc(stack, cast.alice).installations.schedule.query({ tenantId: "acme", instanceId });
}

async function runs(instanceId: string): Promise<{ name: string; scheduledTime: number }[]> {
  const response = await callInstance(stack, cast.alice, instanceId, "/runs");
  expect(response.status).toBe(200);
  return response.json();
}

describe("scheduled tasks", () => {
  let installationId: string;
  let firstDue: number;

  beforeAll(async () => {
    const before = Date.now();
    installationId = (await installActive(stack, cast.alice, "acme", "scheduled", "scheduled")).id;
    const { tasks } = await schedule("scheduled");
    firstDue = tasks.find((task) => task.name === "sync")?.nextAt ?? 0;
    expect(firstDue).toBeGreaterThan(before);
  });

  it("are armed when an active instance is installed, each due at its cron's next time", async () => {
    const { tasks, runs: history } = await schedule("scheduled");
    expect(tasks.map((task) => task.name)).toEqual(["broken", "report", "stuck", "sync"]);
    expect(firstDue % (5 * MINUTE)).toBe(0);
    expect(firstDue - Date.now()).toBeLessThanOrEqual(5 * MINUTE);
    const report = tasks.find((task) => task.name === "report");
    expect(new Date(report?.nextAt ?? 0).getUTCHours()).toBe(3);
    expect(history).toEqual([]);
  });

  it("run when due, with the time they were due, and each run is recorded with its outcome", async () => {
    const store = await storeOf(installationId);
    await store.runDueTasks(firstDue - 1);
    expect(await runs("scheduled")).toEqual([]);
    await store.runDueTasks(firstDue);
    expect(await runs("scheduled")).toEqual([{ name: "sync", cron: "*/5 * * * *", scheduledTime: firstDue }]);

    const { tasks, runs: history } = await schedule("scheduled");
    const byName = Object.fromEntries(history.map((run) => [run.name, run]));
    expect(byName.sync).toMatchObject({ outcome: "ok", scheduledAt: firstDue, error: null });
    expect(byName.broken).toMatchObject({ outcome: "failed", error: "the upstream refused the sync" });
    expect(byName.stuck).toMatchObject({ outcome: "timed-out", error: `did not finish within ${DEADLINE_MS} ms` });
    expect(byName.stuck?.durationMs).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(byName.report).toBeUndefined();
    // Each task is next due at its following time; the one that failed too.
    const sync = tasks.find((task) => task.name === "sync");
    expect(sync?.nextAt).toBe(firstDue + 5 * MINUTE);
    expect(sync?.lastRun?.outcome).toBe("ok");
    expect(tasks.find((task) => task.name === "broken")?.nextAt).toBe(firstDue + 5 * MINUTE);
    // The instance's metrics show its latest run.
    const { runtime } = await trpc(stack, cast.alice).installations.metrics.query({
      tenantId: "acme",
      instanceId: "scheduled",
    });
    expect(runtime?.lastScheduledRun).toMatchObject({ name: "sync", scheduledAt: firstDue, outcome: "ok" });
  });

  it("never run a task twice at once", async () => {
    const store = await storeOf(installationId);
    const due = firstDue + 5 * MINUTE;
    const before = (await schedule("scheduled")).runs.length;
    await Promise.all([store.runDueTasks(due), store.runDueTasks(due)]);
    const history = (await schedule("scheduled")).runs;
    expect(history.length - before).toBe(3);
    expect(history.filter((run) => run.scheduledAt === due && run.name === "stuck")).toHaveLength(1);
  });

  it("stop when the instance is deactivated, and start again when it is activated", async () => {
    const client = trpc(stack, cast.alice);
    await client.installations.deactivate.mutate({ tenantId: "acme", instanceId: "scheduled" });
    expect((await schedule("scheduled")).tasks).toEqual([]);
    const store = await storeOf(installationId);
    const before = (await schedule("scheduled")).runs.length;
    await store.runDueTasks(Date.now() + 24 * 60 * MINUTE);
    expect((await schedule("scheduled")).runs.length).toBe(before);
    await client.installations.activate.mutate({ tenantId: "acme", instanceId: "scheduled" });
    expect((await schedule("scheduled")).tasks.map((task) => task.name)).toEqual(["broken", "report", "stuck", "sync"]);
  });

  it("are each version's own: an instance of another plugin has that plugin's tasks only", async () => {
    await installActive(stack, cast.alice, "acme", "ticking", "ticking-free");
    expect((await schedule("ticking-free")).tasks.map((task) => task.name)).toEqual(["sync"]);
  });
});

describe("a real alarm", () => {
  it("runs an every-minute task on time, without anything driving it", async () => {
    await installActive(stack, cast.alice, "acme", "ticking", "ticking");
    const due = (await schedule("ticking")).tasks[0]?.nextAt ?? 0;
    const ran = await eventually(
      "the every-minute task's first run",
      async () => {
        const list = await runs("ticking");
        return list.length > 0 ? list : undefined;
      },
      75_000,
      1000,
    );
    expect(ran[0]).toEqual({ name: "sync", cron: "* * * * *", scheduledTime: due });
    const [run] = (await schedule("ticking")).runs;
    expect(run?.startedAt).toBeGreaterThanOrEqual(due);
    expect((run?.startedAt ?? 0) - due).toBeLessThan(5000);
  }, 90_000);
});
