import type { LogBinding, LogLevel } from "./module";

/** The instance's log. A line that cannot be written is dropped: logging never fails the plugin. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): Promise<void>;
  info(message: string, fields?: Record<string, unknown>): Promise<void>;
  warn(message: string, fields?: Record<string, unknown>): Promise<void>;
  error(message: string, fields?: Record<string, unknown>): Promise<void>;
}

/**
 * Wraps `env.LOG`. Each write is handed to `track`, so the invocation waits for lines the
 * plugin did not await (a hook before it returns, a request through `waitUntil`): an isolate
 * may be stopped once its invocation ends, and a line still in flight would be lost.
 */
export function instanceLogger(binding: LogBinding, track: (write: Promise<void>) => void): Logger {
  const writer =
    (level: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): Promise<void> => {
      let write: Promise<void>;
      try {
        write = fields === undefined ? binding.write(level, message) : binding.write(level, message, fields);
      } catch {
        write = Promise.resolve();
      }
      // A refused line (the platform caps a flooding log) must not reject where nobody awaits it.
      const settled = write.catch(() => undefined);
      track(settled);
      return settled;
    };
  return { debug: writer("debug"), info: writer("info"), warn: writer("warn"), error: writer("error") };
}
