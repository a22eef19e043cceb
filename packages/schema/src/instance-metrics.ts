import type { TaskRun } from "./scheduled-tasks";

/** How an instance's server module has been doing, as `installations.metrics` shows it. */
export interface InstanceMetrics {
  /**
   * From the last 15 minutes of calls: `idle` none, `healthy` no failure, `degraded` some
   * failures, `failing` half or more of the calls failed.
   */
  health: "idle" | "healthy" | "degraded" | "failing";
  /** Since the instance's data began (its install). */
  requests: number;
  /** Calls that failed: the plugin threw, answered garbage or a 5xx, or ran out of time. */
  errors: number;
  /** Calls cut at the engine's deadline. */
  deadlineHits: number;
  /** Answers cut or refused for their size. */
  limitHits: number;
  /** Over the latest 1,000 calls; null before the first. */
  latencyMs: { p50: number; p99: number } | null;
  /** The last 15 minutes, by minute: `{ minute, requests, errors }`, oldest first. */
  recent: { minute: number; requests: number; errors: number }[];
  lastError: { message: string; at: number } | null;
  lastScheduledRun: TaskRun | null;
}

/** One call's outcome, as the engine records it. */
export interface CallSample {
  at: number;
  durationMs: number;
  failed: boolean;
  deadlineHit: boolean;
  limitHit: boolean;
  /** The refusal or the plugin's message, for a failed call. */
  error: string | null;
}
