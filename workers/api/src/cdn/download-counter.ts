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
 * Counts entry-file downloads in memory and hands them out in batches, so the hot path
 * adds one map update per request and Postgres sees one write per batch. One per isolate
 * (see isolate.ts).
 */
export class DownloadCounter {
  #counts = new Map<string, { pluginId: string; version: string; count: number }>();
  #pending = 0;
  #firstAt: number | null = null;

  constructor(
    readonly maxPending = 500,
    readonly maxAgeMs = 10_000,
  ) {}

  /**
   * Counts a full download (200, or a 304 revalidation) of an entry file, and returns the
   * batch to send to the plugins worker when one is due (see download-flush.ts).
   */
  record(download: Download, now?: number): DownloadBatch | null {
    if (!download.isEntry || download.method !== "GET" || (download.status !== 200 && download.status !== 304)) {
      return null;
    }
    // The clock is read only for what counts: most files a page loads are not entries.
    const at = now ?? Date.now();
    this.count(download.pluginId, download.version, at);
    return this.takeBatchIfDue(at);
  }

  count(pluginId: string, version: string, now = Date.now()): void {
    const key = `${pluginId}@${version}`;
    const entry = this.#counts.get(key);
    if (entry) entry.count += 1;
    else this.#counts.set(key, { pluginId, version, count: 1 });
    this.#pending += 1;
    this.#firstAt ??= now;
  }

  /** The batch to write now, or null while counts are neither many nor old enough. */
  takeBatchIfDue(now = Date.now()): DownloadBatch | null {
    if (this.#firstAt === null) return null;
    if (this.#pending < this.maxPending && now - this.#firstAt < this.maxAgeMs) return null;
    const batch = { day: new Date(now).toISOString().slice(0, 10), counts: [...this.#counts.values()] };
    this.#counts = new Map();
    this.#pending = 0;
    this.#firstAt = null;
    return batch;
  }
}
