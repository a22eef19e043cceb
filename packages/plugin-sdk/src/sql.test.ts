import { describe, expect, it } from "vitest";
import type { SqlBinding, SqlParam, SqlResult, SqlStatement } from "./module";
import { instanceSql, NO_SQL_MESSAGE } from "./sql";

/** A binding that answers `result` to every statement and keeps what it was asked. */
function answering(result: SqlResult) {
  const asked: { query: string; params: SqlParam[] }[] = [];
  const binding: SqlBinding = {
    async exec(query, ...params) {
      asked.push({ query, params });
      return result;
    },
    async batch(statements: SqlStatement[]) {
      for (const { query, params = [] } of statements) asked.push({ query, params });
      return statements.map(() => result);
    },
  };
  return { binding, asked };
}

const NOTES: SqlResult = {
  columns: ["id", "title"],
  rows: [
    [1, "first"],
    [2, null],
  ],
  rowsRead: 2,
  rowsWritten: 0,
};

describe("instanceSql", () => {
  it("passes the query and its parameters on, and answers rows as objects keyed by column", async () => {
    const { binding, asked } = answering(NOTES);
    const answer = await instanceSql(binding).exec<{ id: number; title: string | null }>(
      "SELECT id, title FROM notes WHERE id > ? AND done = ?",
      0,
      false,
    );
    expect(asked).toEqual([{ query: "SELECT id, title FROM notes WHERE id > ? AND done = ?", params: [0, false] }]);
    expect(answer).toEqual({
      rows: [
        { id: 1, title: "first" },
        { id: 2, title: null },
      ],
      columns: ["id", "title"],
      rowsRead: 2,
      rowsWritten: 0,
    });
  });

  it("keeps a column named __proto__ as a field, not the row's prototype", async () => {
    const { binding } = answering({
      columns: ["__proto__"],
      rows: [[{ polluted: true } as never]],
      rowsRead: 0,
      rowsWritten: 0,
    });
    const [row] = (await instanceSql(binding).exec("SELECT 1 AS __proto__")).rows;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.hasOwn(row ?? {}, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("answers a batch's results in order, each as objects", async () => {
    const { binding, asked } = answering(NOTES);
    const results = await instanceSql(binding).batch([
      { query: "INSERT INTO notes (title) VALUES (?)", params: ["a"] },
      { query: "SELECT id, title FROM notes" },
    ]);
    expect(asked.map((statement) => statement.query)).toEqual([
      "INSERT INTO notes (title) VALUES (?)",
      "SELECT id, title FROM notes",
    ]);
    expect(results).toHaveLength(2);
    expect(results[1]?.rows[0]).toEqual({ id: 1, title: "first" });
  });

  it("passes the platform's refusal on as it came", async () => {
    const refusing: SqlBinding = {
      exec: () => Promise.reject(new Error("sql: not authorized: SQLITE_AUTH")),
      batch: () => Promise.reject(new Error("sql: storage quota of 8192 bytes exceeded")),
    };
    await expect(instanceSql(refusing).exec("ATTACH 'x' AS x")).rejects.toThrow(/^sql: not authorized/);
    await expect(instanceSql(refusing).batch([{ query: "INSERT" }])).rejects.toThrow(/^sql: storage quota/);
  });

  it.each(["exec", "batch"] as const)(
    "without a SQL binding, %s rejects saying the manifest declares none",
    async (method) => {
      const sql = instanceSql(undefined);
      const call = method === "exec" ? sql.exec("SELECT 1") : sql.batch([{ query: "SELECT 1" }]);
      await expect(call).rejects.toThrow(new RegExp(`^${NO_SQL_MESSAGE}: add "sql": true`));
    },
  );
});
