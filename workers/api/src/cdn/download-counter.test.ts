import type { DownloadBatch } from "@plugins/schema";
import { describe, expect, it } from "vitest";
import { type Download, DownloadCounter } from "./download-counter";

const download: Download = { pluginId: "a", version: "1.0.0", isEntry: true, method: "GET", status: 200 };

/**
 * The isolate around a counter, on a fake clock: a download at a time sends what is due at
 * once and sets the batch's timer when asked to; advancing the clock fires the timers due by
 * then, as workerd would between requests.
 */
function isolate(counter: DownloadCounter) {
  const sent: DownloadBatch[] = [];
  let timers: { at: number; take: (now: number) => DownloadBatch | null }[] = [];
  let clock = 0;
  const advance = (to: number) => {
    for (const timer of timers.filter((timer) => timer.at <= to).sort((x, y) => x.at - y.at)) {
      clock = timer.at;
      const batch = timer.take(timer.at);
      if (batch) sent.push(batch);
    }
    timers = timers.filter((timer) => timer.at > to);
    clock = to;
  };
  return {
    sent,
    timers: () => timers.length,
    advance,
    download(at: number, differs: Partial<Download> = {}) {
      advance(at);
      const flush = counter.record({ ...download, ...differs }, clock);
      if (flush?.kind === "send") sent.push(flush.batch);
      if (flush?.kind === "at-deadline") timers.push({ at: clock + flush.delayMs, take: flush.take });
    },
  };
}

const total = (batches: DownloadBatch[]) =>
  batches.flatMap((batch) => batch.counts).reduce((sum, entry) => sum + entry.count, 0);

describe("DownloadCounter", () => {
  it("holds counts until enough have accumulated, then sends them at once, merged by version", () => {
    const run = isolate(new DownloadCounter(3, 60_000));
    run.download(0);
    run.download(1);
    expect(run.sent).toEqual([]);
    run.download(3, { pluginId: "b", version: "2.0.0" });
    expect(run.sent).toEqual([
      {
        day: "1970-01-01",
        counts: [
          { pluginId: "a", version: "1.0.0", count: 2 },
          { pluginId: "b", version: "2.0.0", count: 1 },
        ],
      },
    ]);
  });

  it("sends a lone download at its batch's deadline, with no later download", () => {
    const run = isolate(new DownloadCounter(100, 10_000));
    run.download(1_000);
    run.advance(10_999);
    expect(run.sent).toEqual([]);
    run.advance(11_000);
    expect(run.sent).toEqual([{ day: "1970-01-01", counts: [{ pluginId: "a", version: "1.0.0", count: 1 }] }]);
  });

  it("sets one timer per batch, not one per download", () => {
    const counter = new DownloadCounter(100, 10_000);
    const flushes = Array.from({ length: 50 }, (_, i) => counter.record(download, i));
    expect(flushes.filter((flush) => flush !== null)).toEqual([
      { kind: "at-deadline", delayMs: 10_000, take: expect.any(Function) },
    ]);
  });

  it("sends a batch due by count once: its timer then finds nothing to send", () => {
    const run = isolate(new DownloadCounter(3, 10_000));
    for (const at of [0, 1, 2]) run.download(at);
    expect(run.sent).toHaveLength(1);
    run.advance(20_000);
    expect(run.sent).toHaveLength(1);
    expect(total(run.sent)).toBe(3);
  });

  it("lets a timer send only the batch it was set for, not a later one that opened after a count sent it", () => {
    const run = isolate(new DownloadCounter(2, 10_000));
    run.download(0);
    run.download(1); // due by count: sent, the timer set at 0 now stale
    run.download(5_000); // opens a second batch, due at 15 000
    run.advance(10_000);
    expect(run.sent.map((batch) => total([batch]))).toEqual([2]);
    run.advance(15_000);
    expect(run.sent.map((batch) => total([batch]))).toEqual([2, 1]);
  });

  it("lets a download that finds its batch overdue send it, and the late timer send nothing", () => {
    const counter = new DownloadCounter(100, 10_000);
    const first = counter.record(download, 0);
    const overdue = counter.record(download, 12_000);
    expect(overdue).toEqual({
      kind: "send",
      batch: { day: "1970-01-01", counts: [{ pluginId: "a", version: "1.0.0", count: 2 }] },
    });
    expect(first?.kind === "at-deadline" && first.take(12_001)).toBeNull();
  });

  it("sends every count exactly once, however downloads and timers interleave", () => {
    // A fixed pseudo-random walk (no Math.random: a failure must replay).
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const run = isolate(new DownloadCounter(7, 1_000));
    let at = 0;
    const counted: string[] = [];
    for (let step = 0; step < 2_000; step++) {
      at += Math.floor(next() * 600);
      if (next() < 0.8) {
        // A plugin of its own per download, so each count can be traced to the one batch that sent it.
        run.download(at, { pluginId: `p${step}` });
        counted.push(`p${step}`);
      } else {
        run.advance(at);
      }
    }
    run.advance(at + 1_000);
    expect(run.timers()).toBe(0);
    // A timer that sent a batch already taken would send an empty one.
    expect(run.sent.filter((batch) => batch.counts.length === 0)).toEqual([]);
    const sent = run.sent.flatMap((batch) => batch.counts);
    expect(sent.every((entry) => entry.count === 1)).toBe(true);
    expect(sent.map((entry) => entry.pluginId).sort()).toEqual(counted.sort());
    // Both ways of sending took part.
    expect(run.sent.some((batch) => batch.counts.length === 7)).toBe(true);
    expect(run.sent.some((batch) => batch.counts.length < 7)).toBe(true);
  });
});

describe("record", () => {
  it.each([
    ["a file that is not the entry", { isEntry: false }],
    ["a HEAD", { method: "HEAD" }],
    ["a range (206)", { status: 206 }],
    ["a refusal (404)", { status: 404 }],
  ])("does not count %s", (_, differs) => {
    const run = isolate(new DownloadCounter(1, 60_000));
    run.download(0, differs);
    run.advance(120_000);
    expect(run.sent).toEqual([]);
    expect(run.timers()).toBe(0);
  });

  it("counts a full download and a 304 revalidation of the entry, sending the batch when due", () => {
    const counter = new DownloadCounter(2, 60_000);
    expect(counter.record(download, 0)?.kind).toBe("at-deadline");
    expect(counter.record({ ...download, status: 304 }, 1)).toEqual({
      kind: "send",
      batch: { day: "1970-01-01", counts: [{ pluginId: "a", version: "1.0.0", count: 2 }] },
    });
  });
});
