/** One scheduled task of an instance, as `installations.schedule` shows it. */
export interface TaskState {
  name: string;
  cron: string;
  nextAt: number | null;
  running: boolean;
  lastRun: TaskRun | null;
}

/** One run of a scheduled task: when it was due, when it started, how long it took and how it ended. */
export interface TaskRun {
  name: string;
  scheduledAt: number;
  startedAt: number;
  durationMs: number;
  outcome: "ok" | "failed" | "timed-out" | "skipped";
  error: string | null;
}
