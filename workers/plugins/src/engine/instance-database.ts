import { DurableObject } from "cloudflare:workers";
import { encodeBase64 } from "@plugins/runtime";
import type { SqlRowsPage } from "./lifecycle";
import { ResultBudget, type SqlResult, type SqlStatement, type SqlValue, sqlRefusal } from "./sql-rules";
import { StorageRefusal } from "./storage-rules";

/** Largest page of rows an export answers, in bytes of values (at least one row, whatever its size). */
const MAX_EXPORT_PAGE_BYTES = 4 * 1024 * 1024;

/** A value as the export answers it: JSON, so a blob is its bytes in base64. */
type ExportedValue = SqlRowsPage["rows"][number][number];

/**
 * One instance's SQL database (`permissions.storage.sql`), what the plugin runs its own
 * statements on. A Durable Object class of its own, not a table of the instance's store
 * (instance-store.ts): that SQLite also holds the platform's rows about the instance (its
 * quota usage, schedules and metrics), which a plugin with SQL could otherwise rewrite.
 * Named by the installation's id, like the store, from the host's props only
 * (capabilities.ts): a plugin never holds this stub and cannot name another instance's.
 *
 * What a Durable Object's SQLite refuses by itself holds here too: ATTACH, PRAGMAs that
 * change the database (writable_schema, max_page_count…), BEGIN/SAVEPOINT (transactions are
 * the host's), functions such as load_extension, and tables named `_cf_…`.
 */
export class InstanceDatabase extends DurableObject<Env> {
  /**
   * Runs `statements` in one transaction and answers each one's rows. The quota is the
   * database's size as SQLite counts it (whole pages, schema and indexes included), checked
   * before the transaction commits: a call that grows the database past `quotaBytes` is rolled
   * back whole, so nothing of it is stored. One that does not grow it (a read, a delete) runs
   * even over the quota, so a plugin whose quota was lowered can still make room.
   */
  async run(statements: SqlStatement[], quotaBytes: number): Promise<SqlResult[]> {
    const { storage } = this.ctx;
    const before = storage.sql.databaseSize;
    try {
      return storage.transactionSync(() => {
        const budget = new ResultBudget();
        const results = statements.map(({ query, params }) => {
          const cursor = storage.sql.exec(query, ...params);
          const rows: SqlValue[][] = [];
          for (const row of cursor.raw()) {
            budget.charge(row as SqlValue[]);
            rows.push(row as SqlValue[]);
          }
          return { columns: cursor.columnNames, rows, rowsRead: cursor.rowsRead, rowsWritten: cursor.rowsWritten };
        });
        const after = storage.sql.databaseSize;
        if (after > quotaBytes && after > before) {
          throw new StorageRefusal(
            `sql: storage quota of ${quotaBytes} bytes exceeded: the database would take ${after} bytes (${before} before); nothing of this call was stored`,
          );
        }
        return results;
      });
    } catch (error) {
      throw sqlRefusal(error);
    }
  }

  /** The plugin's tables, by name, with their row counts, and the database's size. */
  async summary(): Promise<{ bytes: number; tables: { name: string; rows: number }[] }> {
    const { sql } = this.ctx.storage;
    // Every table takes a page or more, so the quota bounds how many there are.
    const tables = this.#tableNames().map((name) => ({
      name,
      rows: sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${quoted(name)}`).one().n,
    }));
    return { bytes: sql.databaseSize, tables };
  }

  /**
   * Rows of `table` from `offset`, at most `limit` of them and about MAX_EXPORT_PAGE_BYTES,
   * in the table's own order (its rowid or primary key); null when there is no such table.
   */
  async rows(table: string, offset: number, limit: number): Promise<SqlRowsPage | null> {
    if (!this.#tableNames().includes(table)) return null;
    const cursor = this.ctx.storage.sql.exec(`SELECT * FROM ${quoted(table)} LIMIT ? OFFSET ?`, limit + 1, offset);
    const rows: ExportedValue[][] = [];
    let bytes = 0;
    let more = false;
    for (const row of cursor.raw()) {
      if (rows.length === limit || (rows.length > 0 && bytes > MAX_EXPORT_PAGE_BYTES)) {
        more = true;
        break;
      }
      const values = (row as SqlValue[]).map(exported);
      bytes += values.reduce<number>((sum, value) => sum + exportedBytes(value), 0);
      rows.push(values);
    }
    return { columns: cursor.columnNames, rows, nextOffset: more ? offset + rows.length : null };
  }

  /** Everything, deleted: on uninstall, with the instance's store. */
  async wipe(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  /** The tables the plugin made, SQLite's and the runtime's own left out. */
  #tableNames(): string[] {
    return this.ctx.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name",
      )
      .toArray()
      .map((row) => row.name);
  }
}

/** A name as an SQL identifier: only names read from sqlite_master reach this. */
function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function exportedBytes(value: ExportedValue): number {
  if (typeof value === "string") return value.length;
  return value !== null && typeof value === "object" ? value.base64.length : 8;
}

function exported(value: SqlValue): ExportedValue {
  return value instanceof ArrayBuffer ? { base64: encodeBase64(new Uint8Array(value)) } : value;
}
