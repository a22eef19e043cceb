/**
 * The plain module format: what the platform's loader runs, and what `definePlugin` returns.
 * A module written by hand in this shape works as well; these types describe it for both.
 */

/** Who called an operation, as the platform verified it (never a token the plugin could replay). */
export interface Caller {
  id: string;
  role: "admin" | "editor" | "viewer";
  tenantId: string;
}

/** Any value JSON can hold: what instance storage keeps. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export type LogLevel = "debug" | "info" | "warn" | "error";

/** `env.STORAGE`: the instance's own key-value store, present only when the manifest declares storage. */
export interface StorageBinding {
  get(key: string): Promise<Json | null>;
  /** Rejects with an Error whose message starts "storage quota" when the value would not fit. */
  put(key: string, value: Json): Promise<void>;
  delete(key: string): Promise<boolean>;
  list(options?: StorageListOptions): Promise<{ entries: { key: string; value: Json }[]; cursor: string | null }>;
}

export interface StorageListOptions {
  prefix?: string;
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

/** A value SQLite hands back: INTEGER and REAL as numbers (beyond 2^53 rounded), TEXT, BLOB as ArrayBuffer, NULL. */
export type SqlValue = string | number | null | ArrayBuffer;

/** A value a statement binds: a boolean is stored as 1 or 0, a typed array as a blob. */
export type SqlParam = SqlValue | boolean | ArrayBufferView;

/** One statement of a `batch`. */
export interface SqlStatement {
  query: string;
  params?: SqlParam[];
}

/** A statement's answer: its column names, its rows as arrays in their order, and what it read and wrote. */
export interface SqlResult {
  columns: string[];
  rows: SqlValue[][];
  rowsRead: number;
  rowsWritten: number;
}

/**
 * `env.SQL`: the instance's own SQLite database, present only when the manifest declares
 * `storage.sql`. Each call is one transaction; a statement refused (by SQLite, or past the
 * quota) rejects with an Error whose message starts "sql:", and nothing of the call is stored.
 */
export interface SqlBinding {
  exec(query: string, ...params: SqlParam[]): Promise<SqlResult>;
  batch(statements: SqlStatement[]): Promise<SqlResult[]>;
}

/** `env.LOG`: the instance's log, read by the platform's operators. */
export interface LogBinding {
  write(level: LogLevel, message: string, fields?: Record<string, unknown>): Promise<void>;
}

/** `env.PLUGIN`: which plugin, version and instance this is, and the instance's config (secrets included). */
export interface PluginFacts {
  pluginId: string;
  version: string;
  tenantId: string;
  instanceId: string;
  config: Record<string, unknown>;
}

/** What the platform passes as `env` to every method of the module; nothing else is reachable. */
export interface PluginEnv {
  STORAGE?: StorageBinding;
  SQL?: SqlBinding;
  LOG: LogBinding;
  PLUGIN: PluginFacts;
  /** The verified caller in `fetch`; `null` in hooks and scheduled runs. */
  CALLER: Caller | null;
}

/** The part of a Workers `ExecutionContext` the SDK uses. */
export interface InvocationContext {
  waitUntil(promise: Promise<unknown>): void;
}

export interface LifecycleEvent {
  type: "install" | "activate" | "deactivate" | "uninstall";
}

export interface UpdateEvent {
  type: "update";
  fromVersion: string;
  toVersion: string;
}

/** One run of a schedule the manifest declares (`permissions.schedules`). */
export interface ScheduledTask {
  name: string;
  cron: string;
  /** When the run was due, in milliseconds since the epoch. */
  scheduledTime: number;
}

export type LifecycleMethod = (event: LifecycleEvent, env: PluginEnv, ctx: InvocationContext) => Promise<void>;

/** The default export of a server module. */
export interface PluginModule {
  fetch(request: Request, env: PluginEnv, ctx: InvocationContext): Promise<Response>;
  onInstall?: LifecycleMethod;
  onActivate?: LifecycleMethod;
  onDeactivate?: LifecycleMethod;
  onUninstall?: LifecycleMethod;
  onUpdate?: (event: UpdateEvent, env: PluginEnv, ctx: InvocationContext) => Promise<void>;
  scheduled?: (event: ScheduledTask, env: PluginEnv, ctx: InvocationContext) => Promise<void>;
}
