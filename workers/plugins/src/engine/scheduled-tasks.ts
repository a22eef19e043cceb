import type { Schedule, TaskRun } from "@plugins/schema";
import { readConfig } from "../config";
import { loadInstance } from "../installations/store";
import { onDemandDatabase } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { callHook } from "./hooks";
import type { EngineExports } from "./isolates";
import { runningInstance } from "./running-instances";
import type { ScheduledInstance } from "./schedules";

interface DueTask {
  name: string;
  cron: string;
  scheduledAt: number;
}

/** A run's result, and what the instance's schedules are now, when a run found they changed. */
interface ScheduledRun {
  run: TaskRun;
  /** null: keep the schedules; an array: the instance's current ones (empty: it stopped, or left). */
  schedules: Schedule[] | null;
}

/**
 * Runs one due task of `owner`, as its instance is in Postgres now: an instance that is no
 * longer active (or no longer that installation) runs nothing and its schedules go; one whose
 * version no longer declares the task runs nothing and gets its current schedules.
 */
export async function runScheduledTask(
  env: Env,
  exports: EngineExports,
  owner: ScheduledInstance,
  task: DueTask,
): Promise<ScheduledRun> {
  const config = readConfig(env);
  const startedAt = Date.now();
  const ended = (outcome: TaskRun["outcome"], error: string | null = null): TaskRun => ({
    name: task.name,
    scheduledAt: task.scheduledAt,
    startedAt,
    durationMs: Date.now() - startedAt,
    outcome,
    error,
  });
  const database = onDemandDatabase(config.database);
  try {
    const row = await loadInstance(database.db, owner).catch((error: unknown) => {
      if (error instanceof RegistryError && error.code === "NOT_FOUND") return null;
      throw error;
    });
    if (!row || row.id !== owner.installationId || row.status !== "active") {
      return { run: ended("skipped", "the instance is no longer active"), schedules: [] };
    }
    const instance = await runningInstance(database.db, config.configKeys, row).catch((error: unknown) => {
      if (error instanceof RegistryError && error.code === "NOT_FOUND") return null;
      throw error;
    });
    if (instance?.blocked) {
      return { run: ended("skipped", `${row.pluginId}@${row.version} was blocked`), schedules: [] };
    }
    const schedules = instance?.permissions.schedules ?? [];
    if (!instance || !schedules.some((schedule) => schedule.name === task.name && schedule.cron === task.cron)) {
      return { run: ended("skipped", `${row.pluginId}@${row.version} no longer declares this task`), schedules };
    }
    const event = { name: task.name, cron: task.cron, scheduledTime: task.scheduledAt };
    const result = await callHook(env, exports, config, instance, "scheduled", event, config.engine.deadlineMs);
    const outcome = result.outcome === "skipped" ? "failed" : result.outcome;
    const error =
      "error" in result ? result.error : result.outcome === "skipped" ? "the module has no scheduled()" : null;
    return { run: ended(outcome, error), schedules: null };
  } catch (error) {
    // The platform's failure (the database unreachable), not the plugin's: recorded, and the next run comes as due.
    return {
      run: ended("failed", `the platform could not run the task: ${String(error)}`.slice(0, 500)),
      schedules: null,
    };
  } finally {
    await database.close();
  }
}
