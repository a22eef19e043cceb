import type { SqlBinding, SqlParam, SqlResult, SqlStatement, SqlValue } from "./module";

/** A statement's rows as objects keyed by column name (a name given twice keeps its last value: use AS). */
export interface SqlRows<Row = Record<string, SqlValue>> {
  rows: Row[];
  columns: string[];
  rowsRead: number;
  rowsWritten: number;
}

/** The instance's SQL database as a plugin uses it: rows typed by the caller. */
export interface Sql {
  /** Runs one statement (`?` or `?1` parameters), in a transaction of its own. */
  exec<Row = Record<string, SqlValue>>(query: string, ...params: SqlParam[]): Promise<SqlRows<Row>>;
  /** Runs the statements in order, in one transaction: all of them stored, or none. */
  batch(statements: SqlStatement[]): Promise<SqlRows[]>;
}

export const NO_SQL_MESSAGE = "this plugin declares no SQL storage";

/** Built with `Object.fromEntries`, so a column named `__proto__` is a field like any other. */
function withRows<Row>({ columns, rows, rowsRead, rowsWritten }: SqlResult): SqlRows<Row> {
  return {
    rows: rows.map((row) => Object.fromEntries(columns.map((column, index) => [column, row[index]])) as Row),
    columns,
    rowsRead,
    rowsWritten,
  };
}

/**
 * Wraps `env.SQL`. Without it (the manifest's `storage` has no `"sql": true`), every call
 * rejects saying so, rather than failing on `undefined` somewhere in the plugin.
 */
export function instanceSql(binding: SqlBinding | undefined): Sql {
  if (!binding) {
    const refuse = () =>
      Promise.reject(new Error(`${NO_SQL_MESSAGE}: add "sql": true to the manifest's permissions.storage`));
    return { exec: refuse, batch: refuse };
  }
  return {
    exec: async <Row>(query: string, ...params: SqlParam[]) => withRows<Row>(await binding.exec(query, ...params)),
    batch: async (statements) => (await binding.batch(statements)).map((result) => withRows(result)),
  };
}
