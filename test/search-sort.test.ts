/**
 * The orders of `plugins.search`: `relevance` (with words, their default), `name` (without
 * words, their default), `updated` (latest listing change first) and `downloads` (all-time
 * total first, counted through the CDN as in production), ties by id; every order keyset-paged
 * to the end with no repeat and no gap, and a cursor refused with another order or query.
 * A stack of its own: the downloads below are batched by the gateway and must all be its own.
 */
import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { applyMigrations, MIGRATIONS_FOLDER } from "../scripts/local-stack/migrate";
import { mintCast } from "./cast";
import { withDatabase } from "./global-setup";
import { eventually, expectTrpcError, pluginMetadata, present, publish, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let alice: string;

type SearchInput = Parameters<ReturnType<typeof trpc>["plugins"]["search"]["query"]>[0];
type Sort = NonNullable<NonNullable<SearchInput>["sort"]>;

const seed = (id: string, name: string, version = "1.0.0") =>
  pluginMetadata({ id, name, version, description: "A plugin to be sorted", category: "sorting" });

/** Full GETs of a version's entry file: each one a download. */
async function download(id: string, version: string, times: number) {
  for (let i = 0; i < times; i++) {
    const response = await fetch(`${stack.url}/plugins/bundles/${id}/v${version}/bundle.js`);
    await response.arrayBuffer();
    expect(response.status).toBe(200);
  }
}

/** The downloads each plugin's downloads.stats counts, by id. */
async function statsTotals(ids: string[]) {
  const totals: Record<string, number> = {};
  for (const id of ids) totals[id] = (await trpc(stack).downloads.stats.query({ pluginId: id })).total;
  return totals;
}

const DOWNLOADS: Record<string, number> = { "s-delta": 4, "s-bravo": 3, "s-charlie": 3, "s-alpha": 1, "s-echo": 0 };

beforeAll(async () => {
  stack = await startStack();
  alice = (await mintCast(stack)).alice;
  // Published in an order that is not id order; s-delta and s-alpha get a second version later.
  await publish(stack, alice, seed("s-charlie", "Charlie"));
  await publish(stack, alice, seed("s-alpha", "Alpha"));
  await publish(stack, alice, seed("s-echo", "Echo Sorted"));
  await publish(stack, alice, seed("s-bravo", "Bravo"));
  await publish(stack, alice, seed("s-delta", "Delta"));
  await publish(stack, alice, seed("s-delta", "Delta", "1.1.0"));
  await publish(stack, alice, seed("s-alpha", "Alpha", "1.1.0"));
  // s-delta's four downloads are two of each version: the total adds versions up.
  await download("s-delta", "1.0.0", 2);
  await download("s-delta", "1.1.0", 2);
  await download("s-bravo", "1.0.0", 3);
  await download("s-charlie", "1.0.0", 3);
  await download("s-alpha", "1.1.0", 1);
  // The gateway sends its batch at the latest 10 s after its first count.
  await eventually("every download recorded", async () => {
    const totals = await statsTotals(Object.keys(DOWNLOADS));
    return JSON.stringify(totals) === JSON.stringify(DOWNLOADS) ? totals : undefined;
  });
}, 60_000);
afterAll(() => stack?.stop());

async function search(input: SearchInput) {
  return trpc(stack).plugins.search.query({ category: "sorting", ...input });
}

async function ids(input: SearchInput): Promise<string[]> {
  return (await search(input)).items.map((item) => item.id);
}

/** Every page of a listing, following nextCursor, flattened. */
async function walk(input: SearchInput, between?: (page: number) => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const result = await search({ ...input, cursor });
    seen.push(...result.items.map((item) => item.id));
    if (result.nextCursor === null) return seen;
    cursor = result.nextCursor;
    await between?.(page);
  }
  throw new Error("the listing did not end within 50 pages");
}

const BY_ID = ["s-alpha", "s-bravo", "s-charlie", "s-delta", "s-echo"];
const BY_DOWNLOADS = ["s-delta", "s-bravo", "s-charlie", "s-alpha", "s-echo"];

describe("orders", () => {
  it("orders by id without a query, by default and as `name`", async () => {
    expect(await ids({})).toEqual(BY_ID);
    expect(await ids({ sort: "name" })).toEqual(BY_ID);
    expect(await ids({ sort: "name", query: "sorted" })).toEqual(BY_ID);
  });

  it("orders by rank with a query, by default and as `relevance`", async () => {
    // "Sorted" is in s-echo's name (weight A), in every description (weight B).
    const ranked = ["s-echo", "s-alpha", "s-bravo", "s-charlie", "s-delta"];
    expect(await ids({ query: "sorted" })).toEqual(ranked);
    expect(await ids({ query: "sorted", sort: "relevance" })).toEqual(ranked);
  });

  it.each([{}, { query: "" }, { query: "   " }])(
    "refuses `relevance` without a query %j (400 naming sort)",
    async (input) => {
      const message = await expectTrpcError(search({ ...input, sort: "relevance" }), "BAD_REQUEST", 400);
      expect(message).toMatch(/^sort: /);
    },
  );

  it("orders by the latest listing change first: a publish that `latest` follows moves a plugin up", async () => {
    expect(await ids({ sort: "updated" })).toEqual(["s-alpha", "s-delta", "s-bravo", "s-echo", "s-charlie"]);
    const items = (await search({ sort: "updated" })).items;
    const times = items.map((item) => Date.parse(item.updatedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("orders by all-time downloads, summed over versions, ties by id; each item carries its total", async () => {
    const { items } = await search({ sort: "downloads" });
    expect(items.map((item) => [item.id, item.downloads])).toEqual(BY_DOWNLOADS.map((id) => [id, DOWNLOADS[id]]));
    expect(await ids({ sort: "downloads", query: "sorted" })).toEqual(BY_DOWNLOADS);
    expect(await ids({ sort: "downloads", query: "echo" })).toEqual(["s-echo"]);
  });
});

describe("keyset pages in every order", () => {
  it.each([
    ["name", 1],
    ["name", 2],
    ["relevance", 1],
    ["relevance", 3],
    ["updated", 1],
    ["updated", 2],
    ["downloads", 1],
    ["downloads", 2],
  ] as [Sort, number][])("walks `%s` %i per page to the end, each plugin once, in order", async (sort, limit) => {
    const input = { sort, limit, ...(sort === "relevance" ? { query: "sorted" } : {}) };
    const everything = await ids({ ...input, limit: 100 });
    expect(everything).toHaveLength(5);
    expect(await walk(input)).toEqual(everything);
  });

  it("walks `updated` across ties to the microsecond, ties by id", async () => {
    // Three listings changed in one millisecond, one of them a microsecond later: a cursor that
    // kept milliseconds only would skip or repeat them.
    await stack.db.query(
      `update plugins set updated_at = case id when 's-bravo' then '2020-01-01 00:00:00.000502+00'::timestamptz
                                               else '2020-01-01 00:00:00.000501+00'::timestamptz end
        where id in ('s-bravo', 's-charlie', 's-echo')`,
    );
    const expected = ["s-alpha", "s-delta", "s-bravo", "s-charlie", "s-echo"];
    expect(await ids({ sort: "updated" })).toEqual(expected);
    expect(await walk({ sort: "updated", limit: 1 })).toEqual(expected);
    expect(await walk({ sort: "updated", limit: 2 })).toEqual(expected);
  });

  it.each([
    // Published now: at the head of `updated`, behind the cursor, so not listed; with no
    // downloads, at the tail of `downloads`, so listed once.
    ["updated", "s-newcomer-a", false],
    ["downloads", "s-newcomer-b", true],
  ] as [Sort, string, boolean][])(
    "a plugin published between pages of `%s` (%s) is neither repeated nor skipped",
    async (sort, newcomer, listed) => {
      const before = await ids({ sort, limit: 100 });
      const seen = await walk({ sort, limit: 2 }, async (page) => {
        if (page === 0) await publish(stack, alice, seed(newcomer, "Newcomer"));
      });
      expect(seen).toEqual(listed ? [...before, newcomer] : before);
      expect(new Set(seen).size).toBe(seen.length);
    },
  );
});

describe("cursors", () => {
  const SORTS: Sort[] = ["name", "relevance", "updated", "downloads"];

  async function cursorOf(sort: Sort, query?: string) {
    return present((await search({ sort, query, limit: 1 })).nextCursor);
  }

  it.each(SORTS)("refuses a cursor of `%s` with another sort (400 naming cursor)", async (sort) => {
    const cursor = await cursorOf(sort, "sorted");
    for (const other of SORTS.filter((candidate) => candidate !== sort)) {
      const message = await expectTrpcError(search({ sort: other, query: "sorted", cursor }), "BAD_REQUEST", 400);
      expect(message).toMatch(/^cursor: .*another sort or query/);
    }
    expect((await search({ sort, query: "sorted", cursor, limit: 1 })).items).toHaveLength(1);
  });

  it.each(SORTS)("refuses a cursor of `%s` with another query, or none (400 naming cursor)", async (sort) => {
    const cursor = await cursorOf(sort, "sorted");
    const message = await expectTrpcError(search({ sort, query: "plugin", cursor }), "BAD_REQUEST", 400);
    expect(message).toMatch(/^cursor: /);
    if (sort !== "relevance") await expectTrpcError(search({ sort, cursor }), "BAD_REQUEST", 400);
  });

  const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  it.each([
    ["a cursor without a sort, as pages made before sorts", "name", { id: "s-alpha" }],
    ["an unknown sort", "name", { sort: "stars", key: 1, id: "s-alpha" }],
    ["an `updated` key that is no integer", "updated", { sort: "updated", key: 1.5, id: "s-alpha" }],
    ["an `updated` key past any timestamp", "updated", { sort: "updated", key: 1e300, id: "s-alpha" }],
    ["an `updated` key as text", "updated", { sort: "updated", key: "2020-01-01", id: "s-alpha" }],
    ["a negative `downloads` key", "downloads", { sort: "downloads", key: -1, id: "s-alpha" }],
    ["a `downloads` key no double holds exactly", "downloads", { sort: "downloads", key: 2 ** 63, id: "s-alpha" }],
    ["a `downloads` cursor without a key", "downloads", { sort: "downloads", id: "s-alpha" }],
    ["a `relevance` key no real holds", "relevance", { sort: "relevance", query: "sorted", key: 1e39, id: "s-alpha" }],
  ] as [string, Sort, object][])("refuses %s (400 naming cursor)", async (_, sort, value) => {
    const query = sort === "relevance" ? "sorted" : undefined;
    const message = await expectTrpcError(search({ sort, query, cursor: forged(value) }), "BAD_REQUEST", 400);
    expect(message).toMatch(/^cursor: /);
  });

  it("takes forged keys Postgres holds, at the ends of their ranges", async () => {
    const ends = [
      { sort: "updated", key: Number.MAX_SAFE_INTEGER },
      { sort: "updated", key: Number.MIN_SAFE_INTEGER },
      { sort: "downloads", key: Number.MAX_SAFE_INTEGER },
      { sort: "downloads", key: 0 },
    ] as const;
    for (const { sort, key } of ends) {
      const result = await search({ sort, cursor: forged({ sort, key, id: "s-alpha" }) });
      expect(Array.isArray(result.items)).toBe(true);
    }
    // Later than every plugin's change, the cursor has them all after it; earlier than all, none.
    const cursorAt = (key: number) => forged({ sort: "updated", key, id: "a" });
    const all = await ids({ sort: "updated", limit: 100 });
    expect(await ids({ sort: "updated", limit: 100, cursor: cursorAt(Number.MAX_SAFE_INTEGER) })).toEqual(all);
    expect(await ids({ sort: "updated", limit: 100, cursor: cursorAt(Number.MIN_SAFE_INTEGER) })).toEqual([]);
  });
});

describe("the migration that adds the all-time totals (0008)", () => {
  it("sums the counts recorded before it into each plugin's total", async () => {
    const database = `plugins_totals_${randomUUID().replaceAll("-", "")}`;
    const admin = new pg.Client({ connectionString: inject("postgresUrl") });
    await admin.connect();
    await admin.query(`create database ${database}`);
    const url = withDatabase(inject("postgresUrl"), database);
    const before = mkdtempSync(join(tmpdir(), "migrations-before-0008-"));
    const client = new pg.Client({ connectionString: url });
    try {
      // The migrations up to 0007: drizzle's journal without 0008 and those after it.
      cpSync(MIGRATIONS_FOLDER, before, { recursive: true });
      const journalPath = join(before, "meta", "_journal.json");
      const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { idx: number; tag: string }[] };
      const totals = present(journal.entries.find((entry) => entry.tag.startsWith("0008_")));
      journal.entries = journal.entries.filter((entry) => entry.idx < totals.idx);
      writeFileSync(journalPath, JSON.stringify(journal));
      await client.connect();
      await migrate(drizzle({ client }), { migrationsFolder: before });

      await client.query(
        `insert into plugins (id, name, category, owner_id) values ('a', 'A', 'c', 'o'), ('b', 'B', 'c', 'o'), ('c', 'C', 'c', 'o')`,
      );
      // a: two versions over two days; b: one row; c: none; and counts of a plugin with no row.
      await client.query(`insert into download_counts (plugin_id, version, day, count) values
        ('a', '1.0.0', '2026-01-01', 2), ('a', '1.0.0', '2026-01-02', 3), ('a', '1.1.0', '2026-01-02', 5),
        ('b', '1.0.0', '2026-01-01', 7), ('gone', '1.0.0', '2026-01-01', 9)`);
      await applyMigrations(url);

      const { rows } = await client.query("select id, downloads::int from plugins order by id");
      expect(rows).toEqual([
        { id: "a", downloads: 10 },
        { id: "b", downloads: 7 },
        { id: "c", downloads: 0 },
      ]);
    } finally {
      await client.end().catch(() => {});
      rmSync(before, { recursive: true, force: true });
      await admin.query(`drop database if exists ${database}`);
      await admin.end();
    }
  });
});
