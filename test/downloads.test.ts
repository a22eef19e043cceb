/**
 * Download counts: the gateway counts full GETs of a version's entry file in memory and sends
 * a batch when 500 are counted, or at the latest 10 s after the batch's first count, on a
 * timer of its own (workers/api/src/cdn/download-counter.ts). A stack of its own, so that no
 * other test's request starts or flushes the batch this file waits for. Each test leaves the
 * batch sent before the next starts.
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
/** What the README promises: a download shows in downloads.stats within 15 s. */
const VISIBLE_WITHIN_MS = 15_000;

async function get(path: string, init: RequestInit = {}): Promise<number> {
  const response = await fetch(`${stack.url}/plugins/bundles/${path}`, init);
  await response.arrayBuffer();
  return response.status;
}

/** Polls downloads.stats until `pluginId` has more than `total` downloads, for at most `timeoutMs`. */
function statsAbove(pluginId: string, total: number, timeoutMs: number) {
  return eventually(
    `more than ${total} downloads of ${pluginId}`,
    async () => {
      const current = await trpc(stack).downloads.stats.query({ pluginId });
      return current.total > total ? current : undefined;
    },
    timeoutMs,
  );
}

describe("downloads", () => {
  it("shows three downloads in downloads.stats within 15 s, with no later download to send them", async () => {
    const today = new Date().toISOString().slice(0, 10);
    expect(await trpc(stack).downloads.stats.query({ pluginId: "counted" })).toEqual({
      pluginId: "counted",
      total: 0,
      days: [],
    });

    const firstCount = Date.now();
    for (let i = 0; i < 3; i++) expect(await get("counted/v1.0.0/index.js")).toBe(200);
    // Still batched: nothing is written before the batch is due.
    await sleep(500);
    expect((await trpc(stack).downloads.stats.query({ pluginId: "counted" })).total).toBe(0);

    // No other download follows: the batch's own timer sends it.
    const stats = await statsAbove("counted", 0, firstCount + VISIBLE_WITHIN_MS - Date.now());
    expect(Date.now() - firstCount).toBeLessThan(VISIBLE_WITHIN_MS);
    expect(stats).toEqual({ pluginId: "counted", total: 3, days: [{ day: today, version: "1.0.0", count: 3 }] });
  }, 30_000);

  it("counts only full GETs of entry files", async () => {
    const firstCount = Date.now();
    // Counted: two GETs of solo's entry, one before and one after the requests that are not.
    expect(await get("solo/v2.0.0/bundle.js")).toBe(200);
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
    expect(await get("solo/v2.0.0/bundle.js")).toBe(200);
    // All of them went out well before the batch's deadline, so its one write holds them all.
    expect(Date.now() - firstCount).toBeLessThan(FLUSH_AGE_MS - 2_000);

    const solo = await statsAbove("solo", 0, firstCount + VISIBLE_WITHIN_MS - Date.now());
    expect(solo.total).toBe(2);
    expect((await trpc(stack).downloads.stats.query({ pluginId: "counted" })).total).toBe(3);
    const { rows } = await stack.db.query(
      "select plugin_id, version, count::int from download_counts order by plugin_id",
    );
    expect(rows).toEqual([
      { plugin_id: "counted", version: "1.0.0", count: 3 },
      { plugin_id: "solo", version: "2.0.0", count: 2 },
    ]);
  }, 30_000);

  it("sends a batch at once when 500 downloads are counted, and its timer then sends nothing more", async () => {
    const started = Date.now();
    const statuses: number[] = [];
    // 500 GETs, ten at a time: the 500th count makes the batch due.
    for (let wave = 0; wave < 50; wave++) {
      statuses.push(...(await Promise.all(Array.from({ length: 10 }, () => get("solo/v2.0.0/bundle.js")))));
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(500);
    // Well inside the 10 s age limit, so it is the count that sent the batch.
    expect(Date.now() - started).toBeLessThan(FLUSH_AGE_MS - 2_000);
    const solo = await statsAbove("solo", 2, 5_000);
    expect(solo.total).toBe(502);

    // Past the deadline the first of the 500 set, the batch it was set for is gone: no second write.
    await sleep(Math.max(0, started + FLUSH_AGE_MS + 2_000 - Date.now()));
    expect((await trpc(stack).downloads.stats.query({ pluginId: "solo" })).total).toBe(502);
  }, 40_000);

  it("filters downloads.stats by day", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect((await trpc(stack).downloads.stats.query({ pluginId: "counted", from: today, to: today })).total).toBe(3);
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
