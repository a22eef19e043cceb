/**
 * SQL storage (`permissions.storage: { quotaBytes, sql: true }`): `env.SQL`, a SQLite database
 * of the instance's own in a Durable Object apart from the platform's tables about it, through
 * operations, with its quota, what SQLite refuses, its export and its deletion on uninstall.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginFolder, tarGz, uploadFields, utf8 } from "./archive-fixtures";
import { expectNothingChanged } from "./attack-helpers";
import { type Cast, mintCast } from "./cast";
import { expectError, expectTrpcError, trpc } from "./helpers";
import { callInstance, installActive, publishServerPlugin } from "./server-plugins";
import { type Stack, startStack } from "./stack";

const QUOTA_BYTES = 64 * 1024;

/** Runs what the request asks on env.SQL (or env.STORAGE) and answers the result, or the refusal's message. */
const SQL_PLUGIN = `
export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === "/env") return Response.json({ keys: Object.keys(env).sort() });
    const body = await request.json();
    try {
      if (path === "/exec") return Response.json({ result: await env.SQL.exec(body.query, ...(body.params ?? [])) });
      if (path === "/batch") return Response.json({ results: await env.SQL.batch(body.statements) });
      if (path === "/raw") return Response.json({ result: await env.SQL.exec(...body.args) });
      if (path === "/put") return Response.json({ result: await env.STORAGE.put(body.key, body.value) ?? null });
    } catch (error) {
      return Response.json({ refused: String(error && error.message) });
    }
    return new Response("no such path", { status: 404 });
  },
};
`;

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  await publishServerPlugin(stack, cast.alice, {
    id: "sql-notes",
    server: SQL_PLUGIN,
    permissions: { storage: { quotaBytes: QUOTA_BYTES, sql: true } },
  });
  await publishServerPlugin(stack, cast.alice, {
    id: "kv-only",
    server: SQL_PLUGIN,
    permissions: { storage: { quotaBytes: QUOTA_BYTES } },
  });
}, 60_000);
afterAll(() => stack?.stop());

interface Answer {
  result?: { columns: string[]; rows: unknown[][]; rowsRead: number; rowsWritten: number };
  results?: { columns: string[]; rows: unknown[][] }[];
  refused?: string;
  keys?: string[];
}

async function ask(instanceId: string, path: string, body: unknown): Promise<Answer> {
  const response = await callInstance(stack, cast.alice, instanceId, path, {
    method: "POST",
    body: JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as Answer;
}

const exec = (instanceId: string, query: string, ...params: unknown[]) => ask(instanceId, "/exec", { query, params });

async function rowsOf(instanceId: string, query: string, ...params: unknown[]): Promise<unknown[][]> {
  const answer = await exec(instanceId, query, ...params);
  expect(answer.refused).toBeUndefined();
  return answer.result?.rows ?? [];
}

/** The database of an installation, as only the plugins worker's own code reaches it. */
async function databaseOf(installationId: string) {
  const namespace = await stack.mf.getDurableObjectNamespace("INSTANCE_DATABASES", "plugins");
  return namespace.get(namespace.idFromName(installationId)) as unknown as {
    summary(): Promise<{ bytes: number; tables: { name: string; rows: number }[] }>;
  };
}

describe("env.SQL", () => {
  beforeAll(async () => {
    for (const instanceId of ["notes-a", "notes-b", "hostile", "full", "exported"]) {
      await installActive(stack, cast.alice, "acme", "sql-notes", instanceId);
    }
    await installActive(stack, cast.alice, "acme", "kv-only", "kv-only");
  }, 60_000);

  it("creates a table, inserts with parameters and selects through an operation", async () => {
    const created = await exec(
      "notes-a",
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, done INTEGER, due TEXT)",
    );
    expect(created.refused).toBeUndefined();
    const inserted = await exec(
      "notes-a",
      "INSERT INTO notes (title, done, due) VALUES (?, ?, ?), (?, ?, ?)",
      "first",
      true,
      null,
      "second",
      false,
      "2026-01-01",
    );
    expect(inserted.result).toMatchObject({ rows: [], rowsWritten: 2 });
    const selected = await exec("notes-a", "SELECT id, title, done, due FROM notes WHERE id >= ?1 ORDER BY id", 1);
    expect(selected.result).toMatchObject({
      columns: ["id", "title", "done", "due"],
      rows: [
        [1, "first", 1, null],
        [2, "second", 0, "2026-01-01"],
      ],
    });
  });

  it("keeps two instances of one plugin apart: neither sees the other's tables", async () => {
    await rowsOf("notes-a", "CREATE TABLE IF NOT EXISTS secrets (value TEXT)");
    await rowsOf("notes-a", "INSERT INTO secrets VALUES ('only a')");
    expect((await exec("notes-b", "SELECT value FROM secrets")).refused).toBe(
      "sql: no such table: secrets: SQLITE_ERROR",
    );
    await rowsOf("notes-b", "CREATE TABLE secrets (value TEXT)");
    expect(await rowsOf("notes-b", "SELECT value FROM secrets")).toEqual([]);
    expect(await rowsOf("notes-a", "SELECT value FROM secrets")).toEqual([["only a"]]);
  });

  it("runs a batch in one transaction: a statement refused stores none of the others", async () => {
    const refused = await ask("notes-b", "/batch", {
      statements: [
        { query: "INSERT INTO secrets VALUES (?)", params: ["kept?"] },
        { query: "INSERT INTO nowhere VALUES (1)" },
      ],
    });
    expect(refused.refused).toBe("sql: no such table: nowhere: SQLITE_ERROR");
    expect(await rowsOf("notes-b", "SELECT value FROM secrets")).toEqual([]);
    const done = await ask("notes-b", "/batch", {
      statements: [
        { query: "INSERT INTO secrets VALUES (?)", params: ["b1"] },
        { query: "SELECT count(*) AS n FROM secrets" },
      ],
    });
    expect(done.results?.map((result) => result.rows)).toEqual([[], [[1]]]);
  });

  it("refuses a statement that would grow the database past the quota, storing nothing of it", async () => {
    await rowsOf("full", "CREATE TABLE blobs (data BLOB)");
    const { bytes: before } = await trpc(stack, cast.root)
      .installations.exportStorage.query({ tenantId: "acme", instanceId: "full" })
      .then((page) => page.sql ?? { bytes: -1 });
    const refused = await exec(
      "full",
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 200) INSERT INTO blobs SELECT randomblob(1000) FROM n",
    );
    expect(refused.refused).toMatch(
      new RegExp(
        `^sql: storage quota of ${QUOTA_BYTES} bytes exceeded: the database would take \\d+ bytes .*nothing of this call was stored$`,
      ),
    );
    expect(await rowsOf("full", "SELECT count(*) FROM blobs")).toEqual([[0]]);
    const after = await trpc(stack, cast.root).installations.exportStorage.query({
      tenantId: "acme",
      instanceId: "full",
    });
    expect(after.sql?.bytes).toBe(before);
    // What fits is stored, and the key-value store has a quota of its own beside it.
    expect(await rowsOf("full", "INSERT INTO blobs VALUES (randomblob(1000))")).toEqual([]);
    expect((await ask("full", "/put", { key: "k", value: "v" })).refused).toBeUndefined();
  });

  it.each([
    ["ATTACH", "ATTACH DATABASE '/tmp/other.sqlite' AS other", /^sql: not authorized: SQLITE_AUTH$/],
    ["PRAGMA writable_schema", "PRAGMA writable_schema = ON", /^sql: not authorized: SQLITE_AUTH$/],
    [
      "a write to the schema table",
      "UPDATE sqlite_master SET sql = 'x'",
      /^sql: table sqlite_master may not be modified/,
    ],
    ["PRAGMA max_page_count", "PRAGMA max_page_count = 1000000000", /^sql: not authorized: SQLITE_AUTH$/],
    ["a read of the runtime's _cf_KV", "SELECT * FROM _cf_KV", /^sql: (no such table: _cf_KV|not authorized)/],
    ["a table named _cf_KV", "CREATE TABLE _cf_KV (key, value)", /^sql: not authorized: SQLITE_AUTH$/],
    ["BEGIN", "BEGIN TRANSACTION", /^sql: To execute a transaction, please use the state\.storage\.transaction\(\)/],
    ["load_extension", "SELECT load_extension('/tmp/x.so')", /^sql: not authorized/],
    ["the platform's own tables of the instance", "SELECT * FROM usage", /^sql: no such table: usage/],
    [
      "a recursive CTE answering more rows than a call may",
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 100000) SELECT i FROM n",
      /^sql: a call answers at most 1000 rows: add a LIMIT/,
    ],
  ])("refuses %s with SQLite's reason, changing nothing", async (_case, query, message) => {
    await rowsOf("hostile", "CREATE TABLE IF NOT EXISTS kept (value TEXT)");
    await rowsOf("hostile", "DELETE FROM kept");
    await rowsOf("hostile", "INSERT INTO kept VALUES ('as it was')");
    const answer = await exec("hostile", query);
    expect(answer.refused).toMatch(message);
    expect(await rowsOf("hostile", "SELECT value FROM kept")).toEqual([["as it was"]]);
    expect(await rowsOf("hostile", "SELECT name FROM sqlite_master ORDER BY name")).toEqual([["kept"]]);
  });

  it.each([
    ["a query that is not a string", [42], "sql: the query must be a string"],
    [
      "an object parameter",
      ["SELECT ?", { a: 1 }],
      "sql: parameter 1 must be a string, number, boolean, null or ArrayBuffer",
    ],
    ["a query over 100 KiB", [`SELECT '${"x".repeat(110 * 1024)}'`], "sql: the query must be at most 102400 bytes"],
  ])("refuses %s before it reaches the database", async (_case, args, message) => {
    expect((await ask("hostile", "/raw", { args })).refused).toBe(message);
  });

  it("is not in the env of a plugin whose storage has no sql: true", async () => {
    expect((await ask("kv-only", "/env", {})).keys).toEqual(["CALLER", "LOG", "PLUGIN", "STORAGE"]);
    expect((await ask("notes-a", "/env", {})).keys).toEqual(["CALLER", "LOG", "PLUGIN", "SQL", "STORAGE"]);
    expect((await exec("kv-only", "SELECT 1")).refused).toMatch(/undefined/);
    const page = await trpc(stack, cast.root).installations.exportStorage.query({
      tenantId: "acme",
      instanceId: "kv-only",
    });
    expect(page.sql).toBeNull();
  });
});

describe("an admin's export of the SQL database", () => {
  beforeAll(async () => {
    await rowsOf("exported", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, data BLOB)");
    await rowsOf("exported", 'CREATE TABLE "odd ""name" (x)');
    for (let id = 1; id <= 5; id++)
      await rowsOf("exported", "INSERT INTO items VALUES (?, ?, x'0102')", id, `item ${id}`);
  });

  it("lists the tables with their row counts and the database's size beside the key-value entries", async () => {
    const page = await trpc(stack, cast.root).installations.exportStorage.query({
      tenantId: "acme",
      instanceId: "exported",
    });
    expect(page.entries).toEqual([]);
    expect(page.sql?.tables).toEqual([
      { name: "items", rows: 5 },
      { name: 'odd "name', rows: 0 },
    ]);
    expect(page.sql?.bytes).toBeGreaterThan(0);
  });

  it("pages through a table's rows, a blob as base64", async () => {
    const root = trpc(stack, cast.root);
    const first = await root.installations.exportSqlRows.query({
      tenantId: "acme",
      instanceId: "exported",
      table: "items",
      limit: 2,
    });
    expect(first).toEqual({
      columns: ["id", "name", "data"],
      rows: [
        [1, "item 1", { base64: "AQI=" }],
        [2, "item 2", { base64: "AQI=" }],
      ],
      nextOffset: 2,
    });
    const last = await root.installations.exportSqlRows.query({
      tenantId: "acme",
      instanceId: "exported",
      table: "items",
      offset: 4,
      limit: 2,
    });
    expect(last).toMatchObject({ rows: [[5, "item 5", { base64: "AQI=" }]], nextOffset: null });
    const odd = await root.installations.exportSqlRows.query({
      tenantId: "acme",
      instanceId: "exported",
      table: 'odd "name',
    });
    expect(odd).toEqual({ columns: ["x"], rows: [], nextOffset: null });
  });

  it("answers 404 for a table that is not the plugin's, and 403 to an editor", async () => {
    for (const table of ["nowhere", "sqlite_master", "items; DROP TABLE items"]) {
      await expectTrpcError(
        trpc(stack, cast.root).installations.exportSqlRows.query({ tenantId: "acme", instanceId: "exported", table }),
        "NOT_FOUND",
        404,
      );
    }
    await expectTrpcError(
      trpc(stack, cast.alice).installations.exportSqlRows.query({
        tenantId: "acme",
        instanceId: "exported",
        table: "items",
      }),
      "FORBIDDEN",
      403,
    );
    expect(await rowsOf("exported", "SELECT count(*) FROM items")).toEqual([[5]]);
  });
});

describe("uninstall", () => {
  it("deletes the instance's SQL database with its store: installed again, it starts empty", async () => {
    const client = trpc(stack, cast.alice);
    const first = await installActive(stack, cast.alice, "acme", "sql-notes", "short-lived");
    await rowsOf("short-lived", "CREATE TABLE left (value TEXT)");
    await rowsOf("short-lived", "INSERT INTO left VALUES ('behind')");
    expect((await (await databaseOf(first.id)).summary()).tables).toEqual([{ name: "left", rows: 1 }]);
    await client.installations.deactivate.mutate({ tenantId: "acme", instanceId: "short-lived" });
    await client.installations.uninstall.mutate({ tenantId: "acme", instanceId: "short-lived" });
    expect((await (await databaseOf(first.id)).summary()).tables).toEqual([]);
    const again = await installActive(stack, cast.alice, "acme", "sql-notes", "short-lived");
    expect(again.id).not.toBe(first.id);
    expect((await exec("short-lived", "SELECT value FROM left")).refused).toBe(
      "sql: no such table: left: SQLITE_ERROR",
    );
  });
});

describe("the manifest", () => {
  it("refuses storage.sql that is not a boolean (400 naming the field), storing nothing", async () => {
    const files = [
      ...pluginFolder({
        id: "sql-yes",
        kind: "source",
        server: "server.js",
        permissions: { storage: { quotaBytes: 1024, sql: "yes" } },
      }),
      { path: "server.js", bytes: utf8(SQL_PLUGIN) },
    ];
    const message = await expectNothingChanged(stack, async () =>
      expectError(await uploadFields(stack, { token: cast.alice, file: await tarGz(files) }), 400, "BAD_REQUEST"),
    );
    expect(message).toContain("plugin.json.permissions.storage.sql: must be true or false");
  });
});
