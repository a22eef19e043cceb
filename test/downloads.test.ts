/**
 * Download counts: the gateway counts full GETs of a version's entry file in memory
 * and flushes a batch when 500 are counted or 10 s have passed since the first count (on the
 * next counted request, in waitUntil). A stack of its own, so that no other test's request
 * starts or flushes the batch this file waits for.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginFolder, publishFields, tarGz } from "./archive-fixtures";
import { mintCast } from "./cast";
import { eventually, expectTrpcError, pluginMetadata, publish, sleep, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
  const { alice } = await mintCast(stack);
  await publishFields(stack, { token: alice, file: await tarGz(pluginFolder({ id: "counted", version: "1.0.0" })) });
  await publish(stack, alice, pluginMetadata({ id: "solo", version: "2.0.0" }), "export default 'solo';\n");
});
afterAll(() => stack?.stop());

const FLUSH_AGE_MS = 10_000;

async function get(path: string, init: RequestInit = {}): Promise<number> {
  const response = await fetch(`${stack.url}/plugins/bundles/${path}`, init);
  await response.arrayBuffer();
  return response.status;
}

describe("downloads", () => {
  it("counts only full GETs of entry files, and shows them in downloads.stats once the batch is flushed", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const before = await trpc(stack).downloads.stats.query({ pluginId: "counted" });
    expect(before).toEqual({ pluginId: "counted", total: 0, days: [] });

    const firstCount = Date.now();
    // Counted: three GETs of counted's entry, two of solo's.
    for (let i = 0; i < 3; i++) expect(await get("counted/v1.0.0/index.js")).toBe(200);
    for (let i = 0; i < 2; i++) expect(await get("solo/v2.0.0/bundle.js")).toBe(200);
    // Not counted: HEAD, other files, partial content, misses, redirects.
    expect(await get("counted/v1.0.0/index.js", { method: "HEAD" })).toBe(200);
    expect(await get("counted/v1.0.0/index.js", { method: "HEAD" })).toBe(200);
    expect(await get("counted/v1.0.0/chunks/a.js")).toBe(200);
    expect(await get("counted/v1.0.0/styles/main.css")).toBe(200);
    expect(await get("counted/v1.0.0/plugin.json")).toBe(200);
    expect(await get("counted/v1.0.0/index.js", { headers: { range: "bytes=0-9" } })).toBe(206);
    expect(await get("counted/v1.0.0/index.js", { headers: { range: "bytes=10-19" } })).toBe(206);
    expect(await get("counted/v9.9.9/index.js")).toBe(404);
    expect(await get("counted@latest", { redirect: "manual" })).toBe(302);

    // Nothing is written before the batch is due.
    await sleep(500);
    expect((await trpc(stack).downloads.stats.query({ pluginId: "counted" })).total).toBe(0);

    // The batch is due 10 s after the first count; the next counted GET flushes it.
    await sleep(Math.max(0, firstCount + FLUSH_AGE_MS + 500 - Date.now()));
    expect(await get("counted/v1.0.0/index.js")).toBe(200);

    const stats = await eventually("the flushed download batch", async () => {
      const current = await trpc(stack).downloads.stats.query({ pluginId: "counted" });
      return current.total > 0 ? current : undefined;
    });
    expect(stats).toEqual({ pluginId: "counted", total: 4, days: [{ day: today, version: "1.0.0", count: 4 }] });
    expect(await trpc(stack).downloads.stats.query({ pluginId: "solo" })).toEqual({
      pluginId: "solo",
      total: 2,
      days: [{ day: today, version: "2.0.0", count: 2 }],
    });
    const { rows } = await stack.db.query(
      "select plugin_id, version, count::int from download_counts order by plugin_id",
    );
    expect(rows).toEqual([
      { plugin_id: "counted", version: "1.0.0", count: 4 },
      { plugin_id: "solo", version: "2.0.0", count: 2 },
    ]);
  }, 40_000);

  it("flushes at once when 500 downloads are counted, without waiting 10 s", async () => {
    const started = Date.now();
    const statuses: number[] = [];
    // 500 GETs, ten at a time: the 500th count makes the batch due.
    for (let wave = 0; wave < 50; wave++) {
      statuses.push(...(await Promise.all(Array.from({ length: 10 }, () => get("solo/v2.0.0/bundle.js")))));
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(500);
    // Well inside the 10 s age limit, so it is the count that triggered the flush.
    expect(Date.now() - started).toBeLessThan(FLUSH_AGE_MS - 2_000);
    const solo = await eventually(
      "the batch of 500",
      async () => {
        const current = await trpc(stack).downloads.stats.query({ pluginId: "solo" });
        return current.total > 2 ? current : undefined;
      },
      5_000,
    );
    expect(solo.total).toBe(502);
  }, 30_000);

  it("filters downloads.stats by day", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect((await trpc(stack).downloads.stats.query({ pluginId: "counted", from: today, to: today })).total).toBe(4);
    expect(await trpc(stack).downloads.stats.query({ pluginId: "counted", from: tomorrow })).toEqual({
      pluginId: "counted",
      total: 0,
      days: [],
    });
    expect((await trpc(stack).downloads.stats.query({ pluginId: "never-downloaded" })).total).toBe(0);
  });

  it("refuses malformed stats input (BAD_REQUEST)", async () => {
    await expectTrpcError(trpc(stack).downloads.stats.query({ pluginId: "Counted" }), "BAD_REQUEST", 400);
    await expectTrpcError(
      trpc(stack).downloads.stats.query({ pluginId: "counted", from: "yesterday" }),
      "BAD_REQUEST",
      400,
    );
  });
});
