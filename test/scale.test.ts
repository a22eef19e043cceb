/**
 * At scale: with 10,000 plugins, listing, filtering, deep keyset pages (by id, by latest
 * change, by downloads), ranked search and the package document resolve reads are answered by
 * index, never by reading the whole table.
 *
 * Approach: the Postgres statistics of the real queries the worker sends. Each call below
 * goes through the gateway and the plugins worker as in production; before and after a
 * batch of calls we read `pg_stat_user_tables` (seq_scan, seq_tup_read, idx_scan) for the
 * tables involved. Backends flush their counters when they exit (the worker closes its
 * connections after every request) or at most once a second when idle, so the reading is
 * polled until it has moved and then holds still. This checks the worker's actual SQL,
 * whatever drizzle generates, which an EXPLAIN of hand-copied SQL could not; the growth of
 * idx_scan proves that the counters did arrive before seq_tup_read is judged.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectTrpcError, present, sleep, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
const PLUGINS = 10_000;
const TABLES = ["plugins", "plugin_versions", "dist_tags"] as const;
type Table = (typeof TABLES)[number];
type Counters = Record<Table, { seqScan: number; seqTupRead: number; idxScan: number }>;

beforeAll(async () => {
  stack = await startStack();
  // One statement: 10,000 plugins in 50 categories and 20 extension points, each changed a
  // second after the one before and downloaded (i % 100) * 10 times; every second one with a
  // published 1.0.0 and its latest tag; one in a thousand mentions "needle".
  await stack.db.query(`
    with seeded as (
      insert into plugins (id, name, description, category, extension_points, owner_id, updated_at, downloads)
      select 'bulk-' || lpad(i::text, 5, '0'),
             'Bulk plugin ' || i,
             case when i % 1000 = 0 then 'Carries the rare needle keyword'
                  else 'Generated filler plugin number ' || i end,
             'cat-' || (i % 50),
             array['ep-' || (i % 20)],
             'seeder',
             timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second',
             (i % 100) * 10
        from generate_series(1, ${PLUGINS}) as i
      returning id
    ), versions as (
      insert into plugin_versions
             (plugin_id, version, manifest, entry, file_count, size, content_digest, integrity, published_by)
      select id, '1.0.0', jsonb_build_object('id', id, 'version', '1.0.0'), 'bundle.js', 1, 10,
             md5(id), 'sha384-' || md5(id), 'seeder'
        from seeded
       where right(id, 1) in ('0', '2', '4', '6', '8')
      returning plugin_id, version
    )
    insert into dist_tags (plugin_id, tag, version) select plugin_id, 'latest', version from versions
  `);
  // VACUUM as well as ANALYZE: right after a bulk insert every entry of the GIN text index
  // still sits in its pending list (fastupdate), which the planner rightly costs above a
  // sequential scan. Autovacuum merges that list on a live table; this does it at once.
  await stack.db.query("vacuum analyze plugins, plugin_versions, dist_tags");
}, 120_000);
afterAll(() => stack?.stop());

async function readCounters(): Promise<Counters> {
  await stack.db.query("select pg_stat_clear_snapshot()");
  const { rows } = await stack.db.query<{ relname: Table; seq_scan: string; seq_tup_read: string; idx_scan: string }>(
    `select relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) as idx_scan
       from pg_stat_user_tables where relname = any($1)`,
    [TABLES],
  );
  const counters = {} as Counters;
  for (const row of rows) {
    counters[row.relname] = {
      seqScan: Number(row.seq_scan),
      seqTupRead: Number(row.seq_tup_read),
      idxScan: Number(row.idx_scan),
    };
  }
  return counters;
}

const same = (a: Counters, b: Counters) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Counters once every backend has flushed: unchanged for longer than the 1 s a busy backend
 * may hold its counters (three equal readings 600 ms apart), and, when `changedFrom` is
 * given, different from it. Gives up after 8 s.
 */
async function settledCounters(changedFrom?: Counters): Promise<Counters> {
  const deadline = Date.now() + 8_000;
  let previous = await readCounters();
  let stableReadings = 1;
  for (;;) {
    await sleep(600);
    const current = await readCounters();
    stableReadings = same(current, previous) ? stableReadings + 1 : 1;
    const moved = changedFrom === undefined || !same(current, changedFrom);
    if (moved && stableReadings >= 3) return current;
    if (Date.now() > deadline) {
      throw new Error(`table statistics did not settle: ${JSON.stringify({ changedFrom, previous, current })}`);
    }
    previous = current;
  }
}

/**
 * Runs `call` `times` times and returns how the counters of each table moved. Fails when the
 * tables expected to be read by index show no index scan (the statistics did not arrive).
 */
async function measure(call: () => Promise<unknown>, indexed: Table[], times = 3) {
  const before = await settledCounters();
  for (let i = 0; i < times; i++) await call();
  const after = await settledCounters(before);
  const delta = Object.fromEntries(
    TABLES.map((table) => [
      table,
      {
        seqScan: after[table].seqScan - before[table].seqScan,
        seqTupRead: after[table].seqTupRead - before[table].seqTupRead,
        idxScan: after[table].idxScan - before[table].idxScan,
      },
    ]),
  ) as Counters;
  for (const table of indexed) {
    expect(delta[table].idxScan, `${table} read by index: ${JSON.stringify(delta)}`).toBeGreaterThanOrEqual(times);
  }
  for (const table of TABLES) {
    // A single sequential scan of plugins reads 10,000 rows, of plugin_versions or dist_tags 5,000.
    expect(delta[table].seqTupRead, `rows read sequentially from ${table}: ${JSON.stringify(delta)}`).toBeLessThan(
      100 * times,
    );
  }
  return delta;
}

const api = () => trpc(stack);

describe(`with ${PLUGINS.toLocaleString("en")} plugins`, () => {
  it("seeded them all", async () => {
    const { rows } = await stack.db.query(
      "select (select count(*) from plugins)::int as plugins, (select count(*) from dist_tags)::int as tags",
    );
    expect(rows).toEqual([{ plugins: PLUGINS, tags: PLUGINS / 2 }]);
  });

  it("lists the first page by index", async () => {
    const page = await api().plugins.search.query({ limit: 20 });
    expect(page.items.map((item) => item.id).slice(0, 3)).toEqual(["bulk-00001", "bulk-00002", "bulk-00003"]);
    expect(page.items[1]?.latestVersion).toBe("1.0.0");
    await measure(() => api().plugins.search.query({ limit: 20 }), ["plugins"]);
  }, 30_000);

  it("lists a category-filtered page by index", async () => {
    const page = await api().plugins.search.query({ category: "cat-7", limit: 20 });
    expect(page.items).toHaveLength(20);
    expect(page.items.every((item) => item.category === "cat-7")).toBe(true);
    await measure(() => api().plugins.search.query({ category: "cat-7", limit: 20 }), ["plugins"]);
  }, 30_000);

  it("lists an extension-point-filtered page without scanning the table", async () => {
    await measure(() => api().plugins.search.query({ extensionPoint: "ep-3", limit: 20 }), ["plugins"]);
  }, 30_000);

  it("answers a page deep in the keyset by index", async () => {
    // A cursor of the shape the first page returned, pointing 9,000 rows in.
    const first = await api().plugins.search.query({ limit: 1 });
    const real = JSON.parse(Buffer.from(present(first.nextCursor), "base64url").toString()) as unknown;
    expect(real).toEqual({ sort: "name", id: "bulk-00001" });
    const deep = Buffer.from(JSON.stringify({ sort: "name", id: "bulk-09000" })).toString("base64url");
    const page = await api().plugins.search.query({ cursor: deep, limit: 20 });
    expect(page.items[0]?.id).toBe("bulk-09001");
    expect(page.items).toHaveLength(20);
    await measure(() => api().plugins.search.query({ cursor: deep, limit: 20 }), ["plugins"]);
    const deepInCategory = Buffer.from(JSON.stringify({ sort: "name", id: "bulk-09007" })).toString("base64url");
    const categoryPage = await api().plugins.search.query({ category: "cat-7", cursor: deepInCategory, limit: 5 });
    expect(categoryPage.items.map((item) => item.id)).toEqual([
      "bulk-09057",
      "bulk-09107",
      "bulk-09157",
      "bulk-09207",
      "bulk-09257",
    ]);
    await measure(
      () => api().plugins.search.query({ category: "cat-7", cursor: deepInCategory, limit: 5 }),
      ["plugins"],
    );
  }, 30_000);

  it("lists the latest changed first, first page and deep pages, by index", async () => {
    const first = await api().plugins.search.query({ sort: "updated", limit: 2 });
    expect(first.items.map((item) => item.id)).toEqual(["bulk-10000", "bulk-09999"]);
    await measure(() => api().plugins.search.query({ sort: "updated", limit: 20 }), ["plugins"]);
    // A cursor of the shape pages hand out, 9,000 rows in: bulk-01000, changed at 00:16:40.
    const real = JSON.parse(Buffer.from(present(first.nextCursor), "base64url").toString()) as { key: number };
    expect(real).toEqual({ sort: "updated", key: Date.parse("2026-01-01T02:46:39Z") * 1000, id: "bulk-09999" });
    const deep = Buffer.from(
      JSON.stringify({ sort: "updated", key: Date.parse("2026-01-01T00:16:40Z") * 1000, id: "bulk-01000" }),
    ).toString("base64url");
    const page = await api().plugins.search.query({ sort: "updated", cursor: deep, limit: 20 });
    expect(page.items.map((item) => item.id).slice(0, 2)).toEqual(["bulk-00999", "bulk-00998"]);
    await measure(() => api().plugins.search.query({ sort: "updated", cursor: deep, limit: 20 }), ["plugins"]);
  }, 60_000);

  it("lists the most downloaded first, first page and deep pages, by index", async () => {
    const first = await api().plugins.search.query({ sort: "downloads", limit: 2 });
    expect(first.items.map((item) => [item.id, item.downloads])).toEqual([
      ["bulk-00099", 990],
      ["bulk-00199", 990],
    ]);
    await measure(() => api().plugins.search.query({ sort: "downloads", limit: 20 }), ["plugins"]);
    // Deep in the ties of 500 downloads (i % 100 = 50), past bulk-05050.
    const deep = Buffer.from(JSON.stringify({ sort: "downloads", key: 500, id: "bulk-05050" })).toString("base64url");
    const page = await api().plugins.search.query({ sort: "downloads", cursor: deep, limit: 20 });
    expect(page.items.map((item) => item.id).slice(0, 2)).toEqual(["bulk-05150", "bulk-05250"]);
    await measure(() => api().plugins.search.query({ sort: "downloads", cursor: deep, limit: 20 }), ["plugins"]);
  }, 60_000);

  it("answers a ranked text search by index", async () => {
    const page = await api().plugins.search.query({ query: "needle" });
    expect(page.items.map((item) => item.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `bulk-${String((i + 1) * 1000).padStart(5, "0")}`),
    );
    await measure(() => api().plugins.search.query({ query: "needle" }), ["plugins"]);
  }, 30_000);

  it("resolves against the package document, which a first read builds by index, and then reads no table", async () => {
    const key = "~read-models/packages/bulk-04242";
    const resolveRebuilt = async () => {
      await stack.bucket.delete(key);
      expect((await api().plugins.resolve.query({ pluginId: "bulk-04242" })).version).toBe("1.0.0");
    };
    await measure(resolveRebuilt, ["plugins", "dist_tags", "plugin_versions"]);
    await measure(
      () => expectTrpcError(api().plugins.resolve.query({ pluginId: "no-such-bulk" }), "NOT_FOUND", 404),
      ["plugins"],
    );
    // Stored now: a tag, a range and an exact version resolve without touching Postgres.
    const before = await settledCounters();
    for (const range of ["latest", "^1.0.0", "1.0.0"]) {
      expect((await api().plugins.resolve.query({ pluginId: "bulk-04242", range })).version).toBe("1.0.0");
    }
    await sleep(1_500);
    expect(await settledCounters()).toEqual(before);
  }, 60_000);

  it("would have noticed a sequential scan (the measurement is live)", async () => {
    // A control: a query that must read the whole table shows up in the same counters.
    const before = await settledCounters();
    await stack.db.query("select count(*) from plugins where description like '%needle%'");
    const after = await settledCounters(before);
    expect(after.plugins.seqTupRead - before.plugins.seqTupRead).toBeGreaterThanOrEqual(PLUGINS);
  }, 30_000);
});
