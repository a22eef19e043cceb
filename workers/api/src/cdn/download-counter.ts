import type { DownloadBatch } from "@plugins/schema";

/** What a download answer was, as far as counting goes. */
export interface Download {
  pluginId: string;
  version: string;
  isEntry: boolean;
  method: string;
  status: number;
}

/**
 * What a counted download asks of its request (see download-flush.ts): to send a batch now,
 * or, being the first count of a batch, to wake at the batch's deadline and send what `take`
 * hands out then. `take` hands out only the batch it was set for, and only if no count sent
 * it first: every batch leaves the counter once, by the count that made it due or by its timer.
 */
export type DownloadFlush =
  | { kind: "send"; batch: DownloadBatch }
  | { kind: "at-deadline"; delayMs: number; take: (now?: number) => DownloadBatch | null };

/**
 * Counts entry-file downloads in memory and hands them out in batches, so the hot path
 * adds one map update per request and Postgres sees one write per batch, at the latest
 * `maxAgeMs` after the batch's first count. One per isolate (see isolate.ts).
 */
export class DownloadCounter {
  #counts = new Map<string, { pluginId: string; version: string; count: number }>();
  #pending = 0;
  #firstAt: number | null = null;
  /** Counts the batches handed out, so a deadline can tell its batch from a later one. */
  #taken = 0;

  constructor(
    readonly maxPending = 500,
    readonly maxAgeMs = 10_000,
  ) {}

  /**
   * Counts a full download (200, or a 304 revalidation) of an entry file, and returns what
   * its request must do for the batch: null, most of the time.
   */
  record(download: Download, now?: number): DownloadFlush | null {
    if (!download.isEntry || download.method !== "GET" || (download.status !== 200 && download.status !== 304)) {
      return null;
    }
    // The clock is read only for what counts: most files a page loads are not entries.
    const at = now ?? Date.now();
    const opensBatch = this.#firstAt === null;
    this.#count(download.pluginId, download.version, at);
    // Due by count, or by age when a busy isolate ran this before the batch's timer.
    if (this.#pending >= this.maxPending || at - (this.#firstAt ?? at) >= this.maxAgeMs) {
      return { kind: "send", batch: this.#take(at) };
    }
    if (!opensBatch) return null;
    const batchNumber = this.#taken;
    return {
      kind: "at-deadline",
      delayMs: this.maxAgeMs,
      // No age check here: the timer is the deadline, and a clock a millisecond short must not keep the batch.
      take: (takenAt = Date.now()) => (this.#taken === batchNumber ? this.#take(takenAt) : null),
    };
  }

  #count(pluginId: string, version: string, now: number): void {
    const key = `${pluginId}@${version}`;
    const entry = this.#counts.get(key);
    if (entry) entry.count += 1;
    else this.#counts.set(key, { pluginId, version, count: 1 });
    this.#pending += 1;
    this.#firstAt ??= now;
  }

  #take(now: number): DownloadBatch {
    const batch = { day: new Date(now).toISOString().slice(0, 10), counts: [...this.#counts.values()] };
    this.#counts = new Map();
    this.#pending = 0;
    this.#firstAt = null;
    this.#taken += 1;
    return batch;
  }
}
