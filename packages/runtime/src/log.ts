/** The workers of this platform, named on every line they log: `pnpm dev` interleaves both. */
export type WorkerName = "api" | "plugins";

export type LogLevel = "info" | "warn" | "error";

/** Logs one event: its name, and the fields that make it queryable. */
export type LogEvent = (level: LogLevel, event: string, fields: Record<string, unknown>) => void;

/**
 * The structured logger of one worker: one JSON line per event, so logs can be queried by
 * field (Workers Logs, Logpush). Errors go to stderr, everything else to stdout.
 */
export function createLogger(worker: WorkerName): LogEvent {
  return (level, event, fields) => {
    const line = JSON.stringify({ level, event, worker, ...fields });
    if (level === "error") console.error(line);
    else console.info(line);
  };
}
