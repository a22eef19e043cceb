import { createLogger } from "@plugins/runtime";
import type { CallSample } from "@plugins/schema";

const logEvent = createLogger("plugins");

/**
 * Calls' samples on their way to their instance's Durable Object (metrics.ts), gathered per
 * installation in this isolate and written in one Durable Object call per window: a write per
 * call cost a fifth of a warm call's throughput (bench, "plugin call (warm)"). A sample waits
 * at most the window; an isolate evicted meanwhile loses what waits, which metrics can bear.
 */

/** Most samples one write carries: a busy instance writes at least this often. */
const MOST_PER_WRITE = 200;

interface Waiting {
  samples: CallSample[];
  limitHits: number;
}

const waiting = new Map<string, Waiting>();

interface Recorder {
  stores: Env["INSTANCE_STORES"];
  /** Keeps the request's context alive until the write is done (`ctx.waitUntil`). */
  waitUntil(promise: Promise<unknown>): void;
  /** ENGINE_METRICS_WINDOW_MS; 0 writes each call at once. */
  windowMs: number;
}

/** Records `sample` of the call of installation `installationId`'s handler. */
export function recordCall(recorder: Recorder, installationId: string, sample: CallSample) {
  gather(recorder, installationId).samples.push(sample);
}

/** Records an answer cut for its size while it streamed (its call is recorded apart). */
export function recordLimitHit(recorder: Recorder, installationId: string) {
  gather(recorder, installationId).limitHits++;
}

/**
 * The installation's waiting batch, or a new one, written when its window ends by the request
 * that opened it (a Durable Object stub belongs to the request that made it, so each write
 * makes its own). A full batch is written at once.
 */
function gather(recorder: Recorder, installationId: string): Waiting {
  const current = waiting.get(installationId);
  if (current && current.samples.length < MOST_PER_WRITE) return current;
  const batch: Waiting = { samples: [], limitHits: 0 };
  waiting.set(installationId, batch);
  if (current) recorder.waitUntil(write(recorder, installationId, current));
  const windowEnds =
    recorder.windowMs > 0 ? new Promise((resolve) => setTimeout(resolve, recorder.windowMs)) : Promise.resolve();
  recorder.waitUntil(
    windowEnds.then(() => {
      if (waiting.get(installationId) !== batch) return;
      waiting.delete(installationId);
      return write(recorder, installationId, batch);
    }),
  );
  return batch;
}

async function write({ stores }: Recorder, installationId: string, batch: Waiting): Promise<void> {
  try {
    await stores.get(stores.idFromName(installationId)).recordCalls(batch.samples, batch.limitHits);
  } catch (error) {
    logEvent("warn", "plugin_metrics_lost", { installationId, samples: batch.samples.length, message: String(error) });
  }
}
