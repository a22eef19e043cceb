import { createLogger } from "@plugins/runtime";
import type { DownloadBatch, RequestFacts } from "@plugins/schema";
import { callPluginsAsGateway } from "../plugins-client";

const logEvent = createLogger("api");

/** Sends a batch of download counts to the plugins worker; called after the answer (`waitUntil`). */
export async function flushDownloads(env: Env, facts: RequestFacts, batch: DownloadBatch): Promise<void> {
  const response = await callPluginsAsGateway(env, facts, "download-counter", "/downloads", batch).catch(
    (error: unknown) => new Response(String(error), { status: 599 }),
  );
  if (!response.ok) {
    logEvent("warn", "download_flush_failed", { status: response.status, entries: batch.counts.length });
  }
}
