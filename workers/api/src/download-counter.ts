import type { DownloadBatch, RequestFacts } from "@plugins/schema";
import type { Env } from "./env";
import { logEvent } from "./log";
import { callPluginsAsGateway } from "./plugins-client";

/**
 * Counts entry-file downloads in memory and hands them out in batches, so the hot path
 * adds one map update per request and Postgres sees one write per batch.
 */
export class DownloadCounter {
  #counts = new Map<string, { pluginId: string; version: string; count: number }>();
  #pending = 0;
  #firstAt: number | null = null;

  constructor(
    readonly maxPending = 500,
    readonly maxAgeMs = 10_000,
  ) {}

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

/** Isolate-wide download counts waiting for their batch. */
const downloads = new DownloadCounter();

/** What a download answer was, as far as counting goes. */
export interface Download {
  pluginId: string;
  version: string;
  isEntry: boolean;
  method: string;
  status: number;
}

/**
 * Counts a full download (200, or a 304 revalidation) of an entry file; when a batch is
 * due, sends it to the plugins worker after the answer. `facts` is built only then.
 */
export function countDownload(
  env: Env,
  waitUntil: (promise: Promise<unknown>) => void,
  download: Download,
  facts: () => RequestFacts,
): void {
  if (!download.isEntry || download.method !== "GET" || (download.status !== 200 && download.status !== 304)) return;
  downloads.count(download.pluginId, download.version);
  const batch = downloads.takeBatchIfDue();
  if (batch) waitUntil(flushDownloads(env, facts(), batch));
}

async function flushDownloads(env: Env, facts: RequestFacts, batch: DownloadBatch): Promise<void> {
  const response = await callPluginsAsGateway(env, facts, "download-counter", "/downloads", batch).catch(
    (error: unknown) => new Response(String(error), { status: 599 }),
  );
  if (!response.ok) {
    logEvent("warn", "download_flush_failed", { status: response.status, entries: batch.counts.length });
  }
}
