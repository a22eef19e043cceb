import { describe, expect, it } from "vitest";
import {
  checkedBatch,
  checkedStatement,
  MAX_SQL_BATCH,
  MAX_SQL_PARAM_BYTES,
  MAX_SQL_PARAMS,
  MAX_SQL_QUERY_BYTES,
  MAX_SQL_RESULT_BYTES,
  MAX_SQL_ROWS,
  ResultBudget,
  sqlRefusal,
} from "./sql-rules";
import { StorageRefusal } from "./storage-rules";

function refusalOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageRefusal);
    return (error as Error).message;
  }
  throw new Error("not refused");
}

describe("checkedStatement", () => {
  it("binds strings, finite numbers, null and blobs as given, booleans as 1 and 0", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const statement = checkedStatement("SELECT ?, ?, ?, ?, ?, ?", ["a", 1.5, null, true, false, bytes]);
    expect(statement.query).toBe("SELECT ?, ?, ?, ?, ?, ?");
    expect(statement.params.slice(0, 5)).toEqual(["a", 1.5, null, 1, 0]);
    const blob = statement.params[5];
    expect(blob).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(blob as ArrayBuffer)]).toEqual([1, 2, 3]);
  });

  it("copies only a view's own bytes, not the rest of its buffer", () => {
    const view = new Uint8Array([9, 1, 2, 9]).subarray(1, 3);
    const [blob] = checkedStatement("SELECT ?", [view]).params;
    expect([...new Uint8Array(blob as ArrayBuffer)]).toEqual([1, 2]);
  });

  it.each([
    ["a query that is not a string", () => checkedStatement(42, []), "sql: the query must be a string"],
    [
      "a query over the size limit",
      () => checkedStatement(`SELECT '${"é".repeat(MAX_SQL_QUERY_BYTES / 2)}'`, []),
      `sql: the query must be at most ${MAX_SQL_QUERY_BYTES} bytes`,
    ],
    ["params that are not an array", () => checkedStatement("SELECT 1", "x"), "sql: params must be an array"],
    [
      "too many parameters",
      () => checkedStatement("SELECT 1", Array(MAX_SQL_PARAMS + 1).fill(1)),
      `sql: at most ${MAX_SQL_PARAMS} parameters`,
    ],
    [
      "an object parameter",
      () => checkedStatement("SELECT ?", [{ toString: () => "1" }]),
      "sql: parameter 1 must be a string, number, boolean, null or ArrayBuffer",
    ],
    [
      "a bigint parameter",
      () => checkedStatement("SELECT ?, ?", [1, 2n]),
      "sql: parameter 2 must be a string, number, boolean, null or ArrayBuffer",
    ],
    [
      "undefined",
      () => checkedStatement("SELECT ?", [undefined]),
      "sql: parameter 1 must be a string, number, boolean, null or ArrayBuffer",
    ],
    ["NaN", () => checkedStatement("SELECT ?", [Number.NaN]), "sql: parameter 1 must be a finite number"],
    ["Infinity", () => checkedStatement("SELECT ?", [Infinity]), "sql: parameter 1 must be a finite number"],
    [
      "a string parameter over the size limit",
      () => checkedStatement("SELECT ?", ["x".repeat(MAX_SQL_PARAM_BYTES + 1)]),
      `sql: parameter 1 must be at most ${MAX_SQL_PARAM_BYTES} bytes`,
    ],
    [
      "a blob parameter over the size limit",
      () => checkedStatement("SELECT ?", [new ArrayBuffer(MAX_SQL_PARAM_BYTES + 1)]),
      `sql: parameter 1 must be at most ${MAX_SQL_PARAM_BYTES} bytes`,
    ],
  ])("refuses %s, naming it", (_case, run, message) => {
    expect(refusalOf(run)).toBe(message);
  });
});

describe("checkedBatch", () => {
  it("checks each statement, params defaulting to none", () => {
    expect(checkedBatch([{ query: "SELECT 1" }, { query: "SELECT ?", params: [true] }])).toEqual([
      { query: "SELECT 1", params: [] },
      { query: "SELECT ?", params: [1] },
    ]);
  });

  it.each([
    ["not an array", "SELECT 1", "sql: batch takes a non-empty array"],
    ["empty", [], "sql: batch takes a non-empty array"],
    ["too long", Array(MAX_SQL_BATCH + 1).fill({ query: "SELECT 1" }), `sql: batch takes at most ${MAX_SQL_BATCH}`],
    ["a statement that is a string", [{ query: "SELECT 1" }, "SELECT 2"], "sql: batch statement 2 must be an object"],
    ["a statement without a query", [{ params: [] }], "sql: the query must be a string"],
    ["a statement with a bad parameter", [{ query: "SELECT ?", params: [[1]] }], "sql: parameter 1 must be"],
  ])("refuses a batch %s", (_case, statements, message) => {
    expect(refusalOf(() => checkedBatch(statements))).toContain(message);
  });
});

describe("ResultBudget", () => {
  it(`lets ${MAX_SQL_ROWS} rows through and refuses the next`, () => {
    const budget = new ResultBudget();
    for (let row = 0; row < MAX_SQL_ROWS; row++) budget.charge([row]);
    expect(refusalOf(() => budget.charge([0]))).toMatch(/^sql: a call answers at most 1000 rows: add a LIMIT/);
  });

  it("refuses rows whose values pass the byte limit, strings and blobs counted", () => {
    const budget = new ResultBudget();
    budget.charge(["x".repeat(MAX_SQL_RESULT_BYTES / 2)]);
    budget.charge([new ArrayBuffer(MAX_SQL_RESULT_BYTES / 2 - 8), null]);
    expect(refusalOf(() => budget.charge(["x"]))).toBe(
      `sql: a call answers at most ${MAX_SQL_RESULT_BYTES} bytes of values`,
    );
  });
});

describe("sqlRefusal", () => {
  it("keeps a refusal as it is, and words another error as SQLite's message, trimmed", () => {
    const refusal = new StorageRefusal("sql: storage quota of 1 bytes exceeded");
    expect(sqlRefusal(refusal)).toBe(refusal);
    expect(sqlRefusal(new Error("not authorized: SQLITE_AUTH")).message).toBe("sql: not authorized: SQLITE_AUTH");
    expect(sqlRefusal(new Error("x".repeat(2000))).message).toHaveLength("sql: ".length + 500);
    expect(sqlRefusal("odd").message).toBe("sql: odd");
  });
});
