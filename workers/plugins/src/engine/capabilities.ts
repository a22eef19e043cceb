import { WorkerEntrypoint } from "cloudflare:workers";
import { createLogger } from "@plugins/runtime";
import type { InstanceDatabase } from "./instance-database";
import type { InstanceStore } from "./instance-store";
import type { InstanceProps, StorageProps } from "./props";
import { checkedBatch, checkedStatement, type SqlResult, type SqlStatement } from "./sql-rules";
import {
  MAX_STORAGE_KEY_BYTES,
  MAX_STORAGE_LIST,
  MAX_STORAGE_VALUE_BYTES,
  type StorageEntry,
  StorageRefusal,
} from "./storage-rules";

/*
 * The bindings a plugin's isolate finds in its `env`, handed to it by the loader as
 * `ctx.exports.<Class>({ props })`. The props are the host's, fixed when the isolate is
 * loaded for one instance: the plugin can call these methods but neither read nor change
 * whose data they act on. Every public method here is callable by the plugin, so helpers
 * stay module functions, and every argument is checked: it comes from untrusted code.
 */

const logEvent = createLogger("plugins");
const encoder = new TextEncoder();

function storeOf(env: Env, props: StorageProps): DurableObjectStub<InstanceStore> {
  return env.INSTANCE_STORES.get(env.INSTANCE_STORES.idFromName(props.storeName));
}

function checkedKey(key: unknown): string {
  if (typeof key !== "string" || key === "") throw new StorageRefusal("storage key must be a non-empty string");
  if (encoder.encode(key).byteLength > MAX_STORAGE_KEY_BYTES) {
    throw new StorageRefusal(`storage key must be at most ${MAX_STORAGE_KEY_BYTES} bytes`);
  }
  return key;
}

/** `env.STORAGE`: the instance's key-value data, JSON values, within the manifest's quota. */
export class InstanceStorage extends WorkerEntrypoint<Env, StorageProps> {
  async get(key: unknown): Promise<unknown> {
    return storeOf(this.env, this.ctx.props).get(checkedKey(key));
  }

  async put(key: unknown, value: unknown): Promise<void> {
    const checked = checkedKey(key);
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    if (json === undefined) throw new StorageRefusal("storage value must be JSON (no functions, cycles or BigInt)");
    if (encoder.encode(json).byteLength > MAX_STORAGE_VALUE_BYTES) {
      throw new StorageRefusal(`storage value must be at most ${MAX_STORAGE_VALUE_BYTES} bytes as JSON`);
    }
    await storeOf(this.env, this.ctx.props).put(checked, json, this.ctx.props.quotaBytes);
  }

  async delete(key: unknown): Promise<boolean> {
    return storeOf(this.env, this.ctx.props).delete(checkedKey(key));
  }

  async list(options: unknown = {}): Promise<{ entries: StorageEntry[]; cursor: string | null }> {
    const { prefix = "", limit = 100, cursor = null } = (options ?? {}) as Record<string, unknown>;
    if (typeof prefix !== "string") throw new StorageRefusal("list: prefix must be a string");
    if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_STORAGE_LIST) {
      throw new StorageRefusal(`list: limit must be a whole number from 1 to ${MAX_STORAGE_LIST}`);
    }
    if (cursor !== null && typeof cursor !== "string") throw new StorageRefusal("list: cursor must be a string");
    return storeOf(this.env, this.ctx.props).list(prefix, limit as number, cursor as string | null);
  }
}

/** Runs checked statements on the instance's own database, within its quota. */
async function runOnDatabase(env: Env, props: StorageProps, statements: SqlStatement[]): Promise<SqlResult[]> {
  const database: DurableObjectStub<InstanceDatabase> = env.INSTANCE_DATABASES.get(
    env.INSTANCE_DATABASES.idFromName(props.storeName),
  );
  // RPC types an ArrayBuffer in a row as never; it arrives as the ArrayBuffer it was.
  return (await database.run(statements, props.quotaBytes)) as unknown as SqlResult[];
}

/**
 * `env.SQL` (`permissions.storage.sql`): the instance's own SQLite database, apart from the
 * platform's tables (instance-database.ts), within the manifest's quota. Each call runs in one
 * transaction: a statement SQLite refuses, or one past the quota, rolls the whole call back.
 */
export class InstanceSql extends WorkerEntrypoint<Env, StorageProps> {
  async exec(query: unknown, ...params: unknown[]): Promise<SqlResult> {
    const [result] = await runOnDatabase(this.env, this.ctx.props, [checkedStatement(query, params)]);
    return result as SqlResult;
  }

  /** The statements in order, in one transaction: all of them stored, or none. */
  async batch(statements: unknown): Promise<SqlResult[]> {
    return runOnDatabase(this.env, this.ctx.props, checkedBatch(statements));
  }
}

const LOG_LEVELS = { debug: "info", info: "info", warn: "warn", error: "error" } as const;
const MAX_LOG_MESSAGE = 2000;
const MAX_LOG_FIELDS_BYTES = 4096;
/** Lines one instance may log per window; the rest are counted and dropped, so a flood costs only its own calls. */
const LOG_LINES_PER_WINDOW = 200;
const LOG_WINDOW_MS = 10_000;
const logWindows = new Map<string, { startedAt: number; lines: number; dropped: number }>();

/** Whether one more line of `instance` fits its window; reports what a window dropped when it ends. */
function admitLogLine(props: InstanceProps): boolean {
  const key = `${props.tenantId}/${props.instanceId}`;
  const now = Date.now();
  let window = logWindows.get(key);
  if (!window || now - window.startedAt >= LOG_WINDOW_MS) {
    if (window && window.dropped > 0) {
      logEvent("warn", "plugin_log_dropped", { ...who(props), dropped: window.dropped });
    }
    window = { startedAt: now, lines: 0, dropped: 0 };
    logWindows.set(key, window);
  }
  window.lines++;
  if (window.lines <= LOG_LINES_PER_WINDOW) return true;
  window.dropped++;
  return false;
}

function who({ tenantId, instanceId, pluginId }: InstanceProps) {
  return { tenantId, instanceId, pluginId };
}

/** `env.LOG`: the plugin's lines, in the platform's log with the instance they came from. */
export class InstanceLog extends WorkerEntrypoint<Env, InstanceProps> {
  async write(level: unknown, message: unknown, fields: unknown = undefined): Promise<void> {
    const mapped = typeof level === "string" ? LOG_LEVELS[level as keyof typeof LOG_LEVELS] : undefined;
    if (!mapped) throw new Error("log level must be debug, info, warn or error");
    if (!admitLogLine(this.ctx.props)) return;
    let extra: string | undefined;
    try {
      extra = fields === undefined ? undefined : JSON.stringify(fields);
    } catch {
      extra = undefined;
    }
    logEvent(mapped, "plugin_log", {
      ...who(this.ctx.props),
      pluginLevel: level,
      message: String(message).slice(0, MAX_LOG_MESSAGE),
      ...(extra && extra.length <= MAX_LOG_FIELDS_BYTES ? { fields: JSON.parse(extra) } : {}),
    });
  }
}
