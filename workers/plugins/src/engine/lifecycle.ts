import type { InstanceMetrics, TaskRun, TaskState } from "@plugins/schema";
import type { Installation } from "@plugins/schema/tables";
import type { Database, Transaction } from "../lib/database";

/*
 * What lifecycle moves (installations/) ask of the plugin engine, apart from how it does it
 * (hooks.ts), so the tRPC context's type reaches no binding of the worker.
 */

/** The hooks of the plain module format, as the harness calls them (harness.ts). */
export type HookName = "onInstall" | "onActivate" | "onDeactivate" | "onUninstall" | "onUpdate" | "scheduled";

export type HookEvent =
  | { type: "install" | "activate" | "deactivate" | "uninstall" }
  | { type: "update"; fromVersion: string; toVersion: string }
  | { name: string; cron: string; scheduledTime: number };

/**
 * Rows of a plugin's SQL table as an export answers them: arrays in the order of `columns`, a
 * blob as `{ base64 }`; `nextOffset` is where the next page starts, null after the last.
 */
export interface SqlRowsPage {
  columns: string[];
  rows: (string | number | null | { base64: string })[][];
  nextOffset: number | null;
}

/** The engine as lifecycle moves use it (trpc/context.ts `engine`). */
export interface Engine {
  /**
   * Runs `hook` of the server module `row` names (its version), if it has one, within the
   * deadline. A hook that throws, times out or cannot start refuses the move: CONFLICT
   * naming the hook and the plugin's message. A plugin without a server module, or without
   * this hook, lets the move through.
   */
  runHook(db: Database | Transaction, row: Installation, hook: HookName, event: HookEvent): Promise<void>;
  /**
   * Sets the instance's scheduled tasks to what `row` (just written) runs: its version's
   * schedules while it is active, none otherwise. Called inside the move's transaction: an
   * alarm armed by a move that then does not commit finds, when it fires, that the instance
   * is not what it was armed for, and disarms itself.
   */
  syncSchedules(db: Database | Transaction, row: Installation): Promise<void>;
  /** The instance's scheduled tasks (when each is next due, its last run) and its latest runs. */
  schedule(installationId: string): Promise<{ tasks: TaskState[]; runs: TaskRun[] }>;
  /**
   * A page of an installation's stored data, in key order after `cursor`, and what it uses of
   * its quota; with its SQL database's tables (name and row count) and size, null without one.
   */
  exportStorage(
    installationId: string,
    page: { cursor: string | null; limit: number },
  ): Promise<{
    entries: { key: string; value: unknown }[];
    cursor: string | null;
    usage: { bytes: number; entries: number };
    sql: { bytes: number; tables: { name: string; rows: number }[] } | null;
  }>;
  /** A page of the rows of one table of an installation's SQL database; null when it has no such table. */
  exportSqlRows(
    installationId: string,
    page: { table: string; offset: number; limit: number },
  ): Promise<SqlRowsPage | null>;
  /** The call metrics and health of an installation's server module. */
  metrics(installationId: string): Promise<InstanceMetrics>;
  /** Deletes everything an installation stored, its SQL database included (on uninstall, after it committed). */
  wipeStorage(installationId: string): Promise<void>;
}
