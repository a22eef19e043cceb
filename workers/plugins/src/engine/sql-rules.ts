import { StorageRefusal } from "./storage-rules";

/*
 * What a plugin may send to, and get back from, its SQL database: checked by the capability
 * (capabilities.ts) on the plugin's arguments, and by the instance's database
 * (instance-database.ts) on what SQLite answers.
 */

/** Longest statement, in UTF-8 bytes: what a Durable Object's SQLite accepts in production. */
export const MAX_SQL_QUERY_BYTES = 100 * 1024;
/** Most parameters bound to one statement, as in production. */
export const MAX_SQL_PARAMS = 100;
/** Largest string or blob parameter, in bytes: the largest value a Durable Object's SQLite stores. */
export const MAX_SQL_PARAM_BYTES = 2 * 1024 * 1024;
/** Most statements in one `batch`. */
export const MAX_SQL_BATCH = 50;
/** Most rows one call answers, all its statements together. */
export const MAX_SQL_ROWS = 1000;
/** Most bytes of values one call answers (strings counted in UTF-16 units, blobs in bytes). */
export const MAX_SQL_RESULT_BYTES = 4 * 1024 * 1024;

/** What SQLite hands back: INTEGER and REAL as numbers, TEXT, BLOB as ArrayBuffer, NULL. */
export type SqlValue = string | number | null | ArrayBuffer;

/** A statement as the capability checked it, ready for the database. */
export interface SqlStatement {
  query: string;
  params: SqlValue[];
}

/** One statement's answer: its column names, its rows as arrays in that order, and what it cost. */
export interface SqlResult {
  columns: string[];
  rows: SqlValue[][];
  rowsRead: number;
  rowsWritten: number;
}

const encoder = new TextEncoder();

/** `value` as SQLite binds it, or a refusal naming the parameter (1-based, as SQL numbers them). */
function checkedParam(value: unknown, index: number): SqlValue {
  const name = `sql: parameter ${index + 1}`;
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    if (typeof value === "number" && !Number.isFinite(value))
      throw new StorageRefusal(`${name} must be a finite number`);
    if (typeof value === "string" && encoder.encode(value).byteLength > MAX_SQL_PARAM_BYTES) {
      throw new StorageRefusal(`${name} must be at most ${MAX_SQL_PARAM_BYTES} bytes`);
    }
    // SQLite has no boolean; it would store "true" as text.
    return typeof value === "boolean" ? Number(value) : value;
  }
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const bytes =
      value instanceof ArrayBuffer
        ? new Uint8Array(value)
        : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    if (bytes.byteLength > MAX_SQL_PARAM_BYTES)
      throw new StorageRefusal(`${name} must be at most ${MAX_SQL_PARAM_BYTES} bytes`);
    return bytes.slice().buffer;
  }
  throw new StorageRefusal(`${name} must be a string, number, boolean, null or ArrayBuffer`);
}

/** The plugin's `query` and `params`, checked: they come from untrusted code. */
export function checkedStatement(query: unknown, params: unknown): SqlStatement {
  if (typeof query !== "string") throw new StorageRefusal("sql: the query must be a string");
  if (encoder.encode(query).byteLength > MAX_SQL_QUERY_BYTES) {
    throw new StorageRefusal(`sql: the query must be at most ${MAX_SQL_QUERY_BYTES} bytes`);
  }
  if (!Array.isArray(params)) throw new StorageRefusal("sql: params must be an array");
  if (params.length > MAX_SQL_PARAMS) throw new StorageRefusal(`sql: at most ${MAX_SQL_PARAMS} parameters`);
  return { query, params: params.map(checkedParam) };
}

/** The plugin's `batch`: a list of `{ query, params? }`, each checked. */
export function checkedBatch(statements: unknown): SqlStatement[] {
  if (!Array.isArray(statements) || statements.length === 0) {
    throw new StorageRefusal("sql: batch takes a non-empty array of { query, params }");
  }
  if (statements.length > MAX_SQL_BATCH)
    throw new StorageRefusal(`sql: batch takes at most ${MAX_SQL_BATCH} statements`);
  return statements.map((statement, index) => {
    if (typeof statement !== "object" || statement === null || Array.isArray(statement)) {
      throw new StorageRefusal(`sql: batch statement ${index + 1} must be an object { query, params }`);
    }
    const { query, params = [] } = statement as Record<string, unknown>;
    return checkedStatement(query, params);
  });
}

/** What answering rows may still take in one call; each row is charged as it is read. */
export class ResultBudget {
  #rows = MAX_SQL_ROWS;
  #bytes = MAX_SQL_RESULT_BYTES;

  charge(row: SqlValue[]): void {
    this.#rows -= 1;
    for (const value of row) {
      if (typeof value === "string") this.#bytes -= value.length;
      else if (value instanceof ArrayBuffer) this.#bytes -= value.byteLength;
      else this.#bytes -= 8;
    }
    if (this.#rows < 0) {
      throw new StorageRefusal(
        `sql: a call answers at most ${MAX_SQL_ROWS} rows: add a LIMIT, and page with OFFSET or a key`,
      );
    }
    if (this.#bytes < 0)
      throw new StorageRefusal(`sql: a call answers at most ${MAX_SQL_RESULT_BYTES} bytes of values`);
  }
}

/** SQLite's or the runtime's error, as the plugin sees it: what was refused, never a stack. */
export function sqlRefusal(error: unknown): StorageRefusal {
  if (error instanceof StorageRefusal) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StorageRefusal(`sql: ${message.slice(0, 500)}`);
}
