import { describe, expect, it } from "vitest";
import { ALICE, fakeEnv, invocation } from "../test/fake-env";
import type { PluginContext } from "./context";
import { definePlugin } from "./define-plugin";
import type { ScheduledTask } from "./module";

const TASK: ScheduledTask = { name: "sync", cron: "*/15 * * * *", scheduledTime: Date.UTC(2026, 0, 1, 12, 15) };

describe("definePlugin", () => {
  it("returns a plain module with fetch and a method for each hook given, and none for the others", () => {
    expect(Object.keys(definePlugin({}))).toEqual(["fetch"]);
    const hooks = () => {};
    const module = definePlugin({
      onInstall: hooks,
      onActivate: hooks,
      onDeactivate: hooks,
      onUninstall: hooks,
      onUpdate: hooks,
      runScheduledTask: hooks,
    });
    expect(Object.keys(module).sort()).toEqual(
      ["fetch", "onActivate", "onDeactivate", "onInstall", "onUninstall", "onUpdate", "scheduled"].sort(),
    );
    expect(Object.getPrototypeOf(module)).toBe(Object.prototype);
  });

  it.each([
    ["onInstall", "install"],
    ["onActivate", "activate"],
    ["onDeactivate", "deactivate"],
    ["onUninstall", "uninstall"],
  ] as const)("%s runs its hook with the instance's context", async (hook, type) => {
    const seen: PluginContext[] = [];
    const module = definePlugin({ [hook]: (context: PluginContext) => void seen.push(context) });
    const env = fakeEnv();
    await module[hook]?.({ type }, env, invocation());
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      pluginId: "notes-source",
      instanceId: "notes",
      tenantId: "acme",
      version: "1.2.0",
    });
    await seen[0]?.storage.put("seen", type);
    expect(env.stored.get("seen")).toBe(type);
  });

  it("runs onUpdate with the versions the instance moves between", async () => {
    const changes: unknown[] = [];
    const module = definePlugin({ onUpdate: (_context, change) => void changes.push(change) });
    await module.onUpdate?.({ type: "update", fromVersion: "1.1.0", toVersion: "1.2.0" }, fakeEnv(), invocation());
    expect(changes).toEqual([{ fromVersion: "1.1.0", toVersion: "1.2.0" }]);
  });

  it("lets a hook's error through with its message, after the lines it logged are written", async () => {
    const env = fakeEnv();
    const module = definePlugin({
      onActivate({ log }) {
        void log.error("upstream unreachable");
        throw new Error("cannot reach the upstream");
      },
    });
    await expect(module.onActivate?.({ type: "activate" }, env, invocation())).rejects.toThrow(
      "cannot reach the upstream",
    );
    expect(env.lines).toEqual([{ level: "error", message: "upstream unreachable" }]);
  });

  it("resolves a hook only once the log lines it did not await are written", async () => {
    let release = () => {};
    const written: string[] = [];
    const env = fakeEnv();
    env.LOG = {
      write: (_level, message) =>
        new Promise<void>((resolve) => {
          release = () => {
            written.push(message);
            resolve();
          };
        }),
    };
    const module = definePlugin({ onInstall: ({ log }) => void log.info("installed") });
    let done = false;
    const running = module.onInstall?.({ type: "install" }, env, invocation()).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(done).toBe(false);
    release();
    await running;
    expect(written).toEqual(["installed"]);
  });

  describe("fetch", () => {
    it("hands the request handler the request and the context with the verified caller, its log lines to waitUntil", async () => {
      const module = definePlugin({
        async fetch(request, { caller, instanceId, log }) {
          void log.info("request", { path: new URL(request.url).pathname });
          return Response.json({ caller, instanceId });
        },
      });
      const env = fakeEnv({ caller: ALICE });
      const ctx = invocation();
      const response = await module.fetch(new Request("https://plugin.invalid/documents"), env, ctx);
      expect(await response.json()).toEqual({ caller: ALICE, instanceId: "notes" });
      expect(ctx.waited).toHaveLength(1);
      await Promise.all(ctx.waited);
      expect(env.lines).toEqual([{ level: "info", message: "request", fields: { path: "/documents" } }]);
    });

    it("answers 404 in the error envelope when the plugin has no request handler", async () => {
      const response = await definePlugin({}).fetch(
        new Request("https://plugin.invalid/"),
        fakeEnv({ caller: ALICE }),
        invocation(),
      );
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: { code: "NOT_FOUND", message: "this plugin has no request handler" },
      });
    });
  });

  describe("scheduled tasks", () => {
    it("runs runScheduledTask with the task's name, cron and due time", async () => {
      const runs: unknown[] = [];
      const module = definePlugin({ runScheduledTask: (task, context) => void runs.push([task, context.instanceId]) });
      await module.scheduled?.({ ...TASK, extra: "platform's" } as ScheduledTask, fakeEnv(), invocation());
      expect(runs).toEqual([[TASK, "notes"]]);
    });

    it("runs the handler of tasks named by the schedule", async () => {
      const runs: string[] = [];
      const module = definePlugin({
        tasks: {
          sync: (_context, task) => void runs.push(`sync ${task.cron}`),
          cleanup: () => void runs.push("cleanup"),
        },
      });
      await module.scheduled?.(TASK, fakeEnv(), invocation());
      await module.scheduled?.({ ...TASK, name: "cleanup" }, fakeEnv(), invocation());
      expect(runs).toEqual(["sync */15 * * * *", "cleanup"]);
    });

    it.each(["reindex", "constructor", "__proto__"])(
      "refuses a schedule %s that tasks has no handler for, naming it and the handlers there are",
      async (name) => {
        const module = definePlugin({ tasks: { sync: () => {} } });
        await expect(module.scheduled?.({ ...TASK, name }, fakeEnv(), invocation())).rejects.toThrow(
          `no handler for scheduled task "${name}": tasks has "sync"`,
        );
      },
    );

    it("says so when tasks is empty", async () => {
      const module = definePlugin({ tasks: {} });
      await expect(module.scheduled?.(TASK, fakeEnv(), invocation())).rejects.toThrow(
        'no handler for scheduled task "sync": tasks has none',
      );
    });

    it("refuses runScheduledTask and tasks together", () => {
      const both = { runScheduledTask: () => {}, tasks: { sync: () => {} } };
      // @ts-expect-error the types refuse both too
      expect(() => definePlugin(both)).toThrow("definePlugin: give runScheduledTask or tasks, not both");
    });
  });
});
