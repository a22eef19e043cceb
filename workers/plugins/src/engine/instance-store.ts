import { DurableObject } from "cloudflare:workers";
import type { CallSample, InstanceMetrics, Schedule, TaskRun, TaskState } from "@plugins/schema";
import { engineExports } from "./isolates";
import { createMetricTables, readMetrics, recordCalls } from "./metrics";
import { runScheduledTask } from "./scheduled-tasks";
import {
  armTasks,
  createScheduleTables,
  disarmTasks,
  finishRun,
  recentRuns,
  type ScheduledInstance,
  scheduledInstance,
  soonest,
  takeDueTasks,
  taskStates,
} from "./schedules";
import { type StorageEntry, StorageRefusal } from "./storage-rules";

const encoder = new TextEncoder();
const byteLength = (text: string) => encoder.encode(text).byteLength;

/**
 * One instance's own data, the Workers form of the seeds' "a schema per plugin", its
 * scheduled tasks (schedules.ts), run from this object's alarm, and its call metrics
 * (metrics.ts). A Durable
 * Object with SQLite storage per installation (named by the installation's id, so a tenant
 * that uninstalls and installs again starts empty), reached only through the storage
 * capability (capabilities.ts), which names the object from the host's own props: a plugin
 * never holds this stub and cannot name another instance's.
 *
 * The quota counts what the plugin stored (keys and JSON values, in bytes), kept in a row
 * of its own so a put checks it without summing the table.
 */
export class InstanceStore extends DurableObject<Env> {
  /** `deleteAll` drops the tables too, and the object lives on: created on every use, not once. */
  #schema(): SqlStorage {
    const sql = this.ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, bytes INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS usage (id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL);
      INSERT OR IGNORE INTO usage (id, bytes) VALUES (1, 0);`);
    createScheduleTables(sql);
    createMetricTables(sql);
    return sql;
  }

  async get(key: string): Promise<unknown> {
    const row = this.#schema().exec<{ value: string }>("SELECT value FROM entries WHERE key = ?", key).toArray()[0];
    return row ? JSON.parse(row.value) : null;
  }

  /** Stores `json` (already serialized and checked by the capability) under `key`, within `quotaBytes`. */
  async put(key: string, json: string, quotaBytes: number): Promise<void> {
    const sql = this.#schema();
    const bytes = byteLength(key) + byteLength(json);
    const previous = sql.exec<{ bytes: number }>("SELECT bytes FROM entries WHERE key = ?", key).toArray()[0]?.bytes;
    const used = sql.exec<{ bytes: number }>("SELECT bytes FROM usage WHERE id = 1").one().bytes;
    const after = used - (previous ?? 0) + bytes;
    if (after > quotaBytes) {
      throw new StorageRefusal(
        `storage quota of ${quotaBytes} bytes exceeded: this put needs ${after} bytes, ${used} are in use`,
      );
    }
    this.ctx.storage.transactionSync(() => {
      sql.exec(
        "INSERT INTO entries (key, value, bytes) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, bytes = excluded.bytes",
        key,
        json,
        bytes,
      );
      sql.exec("UPDATE usage SET bytes = ? WHERE id = 1", after);
    });
  }

  async delete(key: string): Promise<boolean> {
    const sql = this.#schema();
    const previous = sql.exec<{ bytes: number }>("SELECT bytes FROM entries WHERE key = ?", key).toArray()[0]?.bytes;
    if (previous === undefined) return false;
    this.ctx.storage.transactionSync(() => {
      sql.exec("DELETE FROM entries WHERE key = ?", key);
      sql.exec("UPDATE usage SET bytes = bytes - ? WHERE id = 1", previous);
    });
    return true;
  }

  /** Entries in key order after `cursor` (a key), those starting with `prefix`. */
  async list(
    prefix: string,
    limit: number,
    cursor: string | null,
  ): Promise<{ entries: StorageEntry[]; cursor: string | null }> {
    const rows = this.#schema()
      .exec<{ key: string; value: string }>(
        "SELECT key, value FROM entries WHERE key > ? AND instr(key, ?) = 1 ORDER BY key LIMIT ?",
        cursor ?? "",
        prefix,
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    return {
      entries: page.map((row) => ({ key: row.key, value: JSON.parse(row.value) })),
      cursor: rows.length > limit ? (page.at(-1)?.key ?? null) : null,
    };
  }

  /** Bytes in use, as the quota counts them. */
  async usage(): Promise<{ bytes: number; entries: number }> {
    const sql = this.#schema();
    return {
      bytes: sql.exec<{ bytes: number }>("SELECT bytes FROM usage WHERE id = 1").one().bytes,
      entries: sql.exec<{ n: number }>("SELECT count(*) AS n FROM entries").one().n,
    };
  }

  /** Sets the declared tasks of `owner` (its version's schedules, the instance active) and the alarm for the soonest. */
  async arm(owner: ScheduledInstance, schedules: Schedule[]): Promise<void> {
    await this.#alarmAt(armTasks(this.#schema(), owner, schedules, Date.now()));
  }

  /** No tasks any more: the instance stopped, or left. Their history stays until the data goes. */
  async disarm(): Promise<void> {
    disarmTasks(this.#schema());
    await this.ctx.storage.deleteAlarm();
  }

  /** The tasks, when each is next due and how its last run went, and the latest runs. */
  async schedule(limit = 20): Promise<{ tasks: TaskState[]; runs: TaskRun[] }> {
    const sql = this.#schema();
    return { tasks: taskStates(sql), runs: recentRuns(sql, limit) };
  }

  override async alarm(): Promise<void> {
    await this.runDueTasks(Date.now());
  }

  /**
   * Runs what is due at `now`, one task after another (a task never twice at once), then sets
   * the alarm for the next. The alarm passes the clock; tests pass a time to come (they reach
   * this object through Miniflare, as nothing outside the plugins worker can).
   */
  async runDueTasks(now: number): Promise<void> {
    const sql = this.#schema();
    const owner = scheduledInstance(sql);
    if (!owner) return;
    const exports = engineExports(this.ctx);
    for (const task of takeDueTasks(sql, now)) {
      const { run, schedules } = await runScheduledTask(this.env, exports, owner, task);
      finishRun(sql, run, task.cron);
      if (schedules?.length === 0) {
        disarmTasks(sql);
        return;
      }
      if (schedules) armTasks(sql, owner, schedules, Date.now());
    }
    await this.#alarmAt(soonest(sql));
  }

  async #alarmAt(at: number | null): Promise<void> {
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
  }

  /**
   * Calls of the instance's handler, as the engine saw them end, and how many answers were cut
   * for their size while they streamed (call-records.ts gathers both).
   */
  async recordCalls(samples: CallSample[], limitHits: number): Promise<void> {
    recordCalls(this.#schema(), samples, limitHits);
  }

  /** Its calls' counts, latency and health, and its last scheduled run. */
  async metrics(): Promise<InstanceMetrics> {
    const sql = this.#schema();
    return { ...readMetrics(sql, Date.now()), lastScheduledRun: recentRuns(sql, 1)[0] ?? null };
  }

  /** Everything, deleted: on uninstall (seed 004's "data cleanup, schema removal"). */
  async wipe(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}
