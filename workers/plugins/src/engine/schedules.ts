import { nextRunAfter, type Schedule, type TaskRun, type TaskState } from "@plugins/schema";

/*
 * An instance's scheduled tasks, as its Durable Object keeps them (instance-store.ts): one
 * row per declared task with the time it is next due, one alarm for the soonest, and the
 * history of runs. The alarm runs what is due, one run at a time per task, and sets itself
 * for the next: an alarm per instance scales with the instances, where one cron fanning out
 * to all of them would not.
 */

/** Runs kept per task, newest first; older ones are dropped. */
const KEPT_RUNS_PER_TASK = 50;
/** A run still marked running after this long was cut off with its object (an eviction, a deploy) and may start again. */
const STALE_RUN_MS = 15 * 60 * 1000;

/** Who the schedules are for: read back when the alarm fires. */
export interface ScheduledInstance {
  tenantId: string;
  instanceId: string;
  installationId: string;
  version: string;
}

export function createScheduleTables(sql: SqlStorage) {
  sql.exec(`CREATE TABLE IF NOT EXISTS schedule_owner (id INTEGER PRIMARY KEY CHECK (id = 1), instance TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS tasks (name TEXT PRIMARY KEY, cron TEXT NOT NULL, next_at INTEGER, running_since INTEGER);
    CREATE TABLE IF NOT EXISTS task_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, scheduled_at INTEGER NOT NULL,
      started_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL, outcome TEXT NOT NULL, error TEXT);
    CREATE INDEX IF NOT EXISTS task_runs_name ON task_runs (name, id);`);
}

/** Replaces the declared tasks (keeping when a kept task is due) and says when the soonest is due. */
export function armTasks(sql: SqlStorage, instance: ScheduledInstance, schedules: readonly Schedule[], now: number) {
  sql.exec(
    "INSERT INTO schedule_owner (id, instance) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET instance = excluded.instance",
    JSON.stringify(instance),
  );
  const declared = new Set(schedules.map((schedule) => schedule.name));
  for (const row of sql.exec<{ name: string }>("SELECT name FROM tasks").toArray()) {
    if (!declared.has(row.name)) sql.exec("DELETE FROM tasks WHERE name = ?", row.name);
  }
  for (const { name, cron } of schedules) {
    const kept = sql.exec<{ cron: string }>("SELECT cron FROM tasks WHERE name = ?", name).toArray()[0];
    if (kept?.cron === cron) continue;
    sql.exec(
      "INSERT INTO tasks (name, cron, next_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, next_at = excluded.next_at",
      name,
      cron,
      nextRunAfter(cron, new Date(now))?.getTime() ?? null,
    );
  }
  return soonest(sql);
}

/** Forgets the tasks (not their history): the instance stopped, or left. */
export function disarmTasks(sql: SqlStorage) {
  sql.exec("DELETE FROM tasks");
  sql.exec("DELETE FROM schedule_owner");
}

export function scheduledInstance(sql: SqlStorage): ScheduledInstance | null {
  const row = sql.exec<{ instance: string }>("SELECT instance FROM schedule_owner WHERE id = 1").toArray()[0];
  return row ? (JSON.parse(row.instance) as ScheduledInstance) : null;
}

/** Tasks due at `now` that are not running, marked running from `now`. */
export function takeDueTasks(sql: SqlStorage, now: number): { name: string; cron: string; scheduledAt: number }[] {
  const due = sql
    .exec<{ name: string; cron: string; next_at: number }>(
      "SELECT name, cron, next_at FROM tasks WHERE next_at IS NOT NULL AND next_at <= ? AND (running_since IS NULL OR running_since < ?) ORDER BY next_at, name",
      now,
      now - STALE_RUN_MS,
    )
    .toArray();
  for (const task of due) sql.exec("UPDATE tasks SET running_since = ? WHERE name = ?", now, task.name);
  return due.map((task) => ({ name: task.name, cron: task.cron, scheduledAt: task.next_at }));
}

/** Records a run and schedules the task's next one, after the run ended (a missed minute is not run twice). */
export function finishRun(sql: SqlStorage, run: TaskRun, cron: string) {
  const ended = run.startedAt + run.durationMs;
  sql.exec(
    "UPDATE tasks SET running_since = NULL, next_at = ? WHERE name = ?",
    nextRunAfter(cron, new Date(Math.max(ended, run.scheduledAt)))?.getTime() ?? null,
    run.name,
  );
  sql.exec(
    "INSERT INTO task_runs (name, scheduled_at, started_at, duration_ms, outcome, error) VALUES (?, ?, ?, ?, ?, ?)",
    run.name,
    run.scheduledAt,
    run.startedAt,
    run.durationMs,
    run.outcome,
    run.error,
  );
  sql.exec(
    "DELETE FROM task_runs WHERE name = ? AND id NOT IN (SELECT id FROM task_runs WHERE name = ? ORDER BY id DESC LIMIT ?)",
    run.name,
    run.name,
    KEPT_RUNS_PER_TASK,
  );
}

/** When the next alarm must fire: the soonest task due, or null. */
export function soonest(sql: SqlStorage): number | null {
  return sql.exec<{ at: number | null }>("SELECT min(next_at) AS at FROM tasks").one().at;
}

/** Each task with its next time and last run; `runs` of history, newest first. */
export function taskStates(sql: SqlStorage): TaskState[] {
  return sql
    .exec<{ name: string; cron: string; next_at: number | null; running_since: number | null }>(
      "SELECT name, cron, next_at, running_since FROM tasks ORDER BY name",
    )
    .toArray()
    .map((task) => ({
      name: task.name,
      cron: task.cron,
      nextAt: task.next_at,
      running: task.running_since !== null,
      lastRun: lastRun(sql, task.name),
    }));
}

export function recentRuns(sql: SqlStorage, limit: number): TaskRun[] {
  return sql.exec<RunRow>("SELECT * FROM task_runs ORDER BY id DESC LIMIT ?", limit).toArray().map(runOf);
}

type RunRow = {
  name: string;
  scheduled_at: number;
  started_at: number;
  duration_ms: number;
  outcome: TaskRun["outcome"];
  error: string | null;
};

function lastRun(sql: SqlStorage, name: string): TaskRun | null {
  const row = sql.exec<RunRow>("SELECT * FROM task_runs WHERE name = ? ORDER BY id DESC LIMIT 1", name).toArray()[0];
  return row ? runOf(row) : null;
}

function runOf(row: RunRow): TaskRun {
  return {
    name: row.name,
    scheduledAt: row.scheduled_at,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    outcome: row.outcome,
    error: row.error,
  };
}
