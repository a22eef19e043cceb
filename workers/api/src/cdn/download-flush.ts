import { createLogger } from "@plugins/runtime";
import type { DownloadBatch, RequestFacts } from "@plugins/schema";
import { callPluginsAsGateway } from "../plugins-client";
import type { DownloadFlush } from "./download-counter";

const logEvent = createLogger("api");

/**
 * Does, after the answer, what a counted download asks (DownloadCounter.record): sends a due
 * batch, or waits for a new batch's deadline and sends it unless a count sent it first. One
 * timer per batch, none per request. A Worker keeps a `waitUntil` alive up to 30 s after the
 * answer: the 10 s deadline plus the call's PLUGINS_TIMEOUT_MS (8 s by default) fits.
 */
export function flushWhenDue(
  env: Env,
  waitUntil: (promise: Promise<unknown>) => void,
  facts: RequestFacts,
  flush: DownloadFlush,
): void {
  if (flush.kind === "send") {
    waitUntil(flushDownloads(env, facts, flush.batch));
    return;
  }
  waitUntil(
    new Promise((resolve) => setTimeout(resolve, flush.delayMs)).then(() => {
      const batch = flush.take();
      return batch ? flushDownloads(env, facts, batch) : undefined;
    }),
  );
}

/** Sends a batch of download counts to the plugins worker; a failure is logged, the counts lost. */
async function flushDownloads(env: Env, facts: RequestFacts, batch: DownloadBatch): Promise<void> {
  const response = await callPluginsAsGateway(env, facts, "download-counter", "/downloads", batch).catch(
    (error: unknown) => new Response(String(error), { status: 599 }),
  );
  if (!response.ok) {
    logEvent("warn", "download_flush_failed", { status: response.status, entries: batch.counts.length });
  }
}
