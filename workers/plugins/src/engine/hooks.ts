import { createLogger } from "@plugins/runtime";
import type { Installation } from "@plugins/schema/tables";
import type { PluginsConfig } from "../config";
import { type Database, DatabaseUnavailable, type Transaction } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { pluginMessage, timedOut, withinDeadline } from "./invocations";
import { type EngineExports, loadIsolate } from "./isolates";
import type { Engine, HookEvent, HookName, SqlRowsPage } from "./lifecycle";
import { pluginFacts, type RunningInstance, runningInstance } from "./running-instances";
import type { StorageEntry } from "./storage-rules";

const logEvent = createLogger("plugins");

/** What a call of `hook` in the harness answers: the plugin's own data, so checked before use. */
interface HookAnswer {
  ok?: unknown;
  skipped?: unknown;
  error?: unknown;
}

/** How a hook ended: ran, had none to run, threw (with the plugin's message), or ran out of time. */
type HookOutcome =
  | { outcome: "ok" | "skipped" }
  | { outcome: "failed"; error: string }
  | { outcome: "timed-out"; error: string };

/** Runs `hook` of `instance` in its isolate within `deadlineMs`; never throws for what the plugin did. */
export async function callHook(
  env: Env,
  exports: EngineExports,
  config: PluginsConfig,
  instance: RunningInstance,
  hook: HookName,
  event: HookEvent,
  deadlineMs: number,
): Promise<HookOutcome> {
  const { engine } = config;
  let answer: HookAnswer;
  try {
    const isolate = await loadIsolate(env, exports, instance, engine);
    const entry = isolate.getEntrypoint(undefined, {
      props: { plugin: pluginFacts(instance), caller: null },
      limits: engine.limits,
    }) as Fetcher & { hook(name: HookName, event: HookEvent): Promise<HookAnswer> };
    answer = await withinDeadline(entry.hook(hook, event), deadlineMs);
  } catch (error) {
    return timedOut(error)
      ? { outcome: "timed-out", error: `did not finish within ${deadlineMs} ms` }
      : { outcome: "failed", error: pluginMessage(error) };
  }
  if (answer?.ok !== true) {
    return { outcome: "failed", error: typeof answer?.error === "string" ? answer.error.slice(0, 500) : "no message" };
  }
  return { outcome: answer.skipped === true ? "skipped" : "ok" };
}

/** The engine's view of `row`, or null when there is no code to run: no server module, or a blocked version's. */
async function runnable(db: Database | Transaction, config: PluginsConfig, row: Installation) {
  const instance = await runningInstance(db, config.configKeys, row).catch((error: unknown) => {
    if (error instanceof RegistryError && error.code === "NOT_FOUND") return null;
    throw error;
  });
  return instance?.blocked ? null : instance;
}

function storeOf(env: Env, installationId: string) {
  return env.INSTANCE_STORES.get(env.INSTANCE_STORES.idFromName(installationId));
}

function databaseOf(env: Env, installationId: string) {
  return env.INSTANCE_DATABASES.get(env.INSTANCE_DATABASES.idFromName(installationId));
}

/** The engine of one request of the plugins worker. */
export function requestEngine(env: Env, exports: () => EngineExports, config: PluginsConfig): Engine {
  const { engine } = config;
  return {
    async runHook(db, row, hook, event) {
      const instance = await runnable(db, config, row);
      if (!instance) return;
      const startedAt = Date.now();
      const result = await callHook(env, exports(), config, instance, hook, event, engine.hookDeadlineMs);
      const fields = {
        tenantId: row.tenantId,
        instanceId: row.instanceId,
        pluginId: row.pluginId,
        version: row.version,
        hook,
      };
      if (result.outcome === "failed" || result.outcome === "timed-out") {
        logEvent("warn", "plugin_hook_refused", {
          ...fields,
          message: result.error,
          durationMs: Date.now() - startedAt,
        });
        const how = result.outcome === "failed" ? `threw: ${result.error}` : result.error;
        throw new RegistryError("CONFLICT", `${row.pluginId}@${row.version} refused: its ${hook} hook ${how}`);
      }
      if (result.outcome === "skipped") return;
      logEvent("info", "plugin_hook", { ...fields, durationMs: Date.now() - startedAt });
      if (engine.failAfterHook) {
        throw new DatabaseUnavailable("failpoint engine-after-hook: the write after the hook failed");
      }
    },
    async syncSchedules(db, row) {
      const instance = await runnable(db, config, row);
      // A stale alarm (a version without a server module now) finds that out when it fires.
      if (!instance) return;
      const store = storeOf(env, row.id);
      const { schedules } = instance.permissions;
      if (row.status === "active" && schedules.length > 0) {
        await store.arm(
          { tenantId: row.tenantId, instanceId: row.instanceId, installationId: row.id, version: row.version },
          schedules,
        );
      } else {
        await store.disarm();
      }
    },
    schedule: (installationId) => storeOf(env, installationId).schedule(),
    metrics: (installationId) => storeOf(env, installationId).metrics(),
    async exportStorage(installationId, { cursor, limit }) {
      const store = storeOf(env, installationId);
      const [page, usage, sql] = await Promise.all([
        store.list("", limit, cursor),
        store.usage(),
        databaseOf(env, installationId).summary(),
      ]);
      // RPC types a JSON value (`unknown`) as never; it arrives as the JSON it was.
      const { entries, cursor: next } = page as unknown as { entries: StorageEntry[]; cursor: string | null };
      return {
        entries,
        cursor: next,
        usage: { bytes: usage.bytes, entries: usage.entries },
        // An instance without `storage.sql` never made a table.
        sql: sql.tables.length === 0 ? null : { bytes: sql.bytes, tables: sql.tables },
      };
    },
    async exportSqlRows(installationId, { table, offset, limit }) {
      const page = await databaseOf(env, installationId).rows(table, offset, limit);
      return page as unknown as SqlRowsPage | null;
    },
    async wipeStorage(installationId) {
      await Promise.all([storeOf(env, installationId).wipe(), databaseOf(env, installationId).wipe()]);
    },
  };
}
