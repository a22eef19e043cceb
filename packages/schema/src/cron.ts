import { Cron } from "croner";

/*
 * A plugin's scheduled tasks run on classic five-field cron expressions (minute, hour, day of
 * month, month, day of week), read in UTC by croner, which runs in Workers. Five fields have
 * no seconds, so no expression runs more often than once a minute.
 */

const CRON_FIELDS = 5;

/**
 * Where the check for an expression that never runs starts. Without a year field, an
 * expression that runs at all keeps running, so a search from 1970 either finds a run or
 * reaches croner's limit (year 10000) without one.
 */
const EPOCH = new Date(0);

/** The parsed expression, or why it is not one. */
function readCron(expression: string): Cron | string {
  // Counted here: croner would also take a nickname (@hourly) in five-field mode.
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== CRON_FIELDS) {
    return `must have 5 fields (minute hour day-of-month month day-of-week), not ${fields.length}; seconds are not supported`;
  }
  try {
    // Without a function croner only computes times: it schedules nothing.
    return new Cron(expression, { mode: "5-part", utcOffset: 0 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `is not a valid cron expression: ${reason.replace(/^CronPattern: /, "")}`;
  }
}

/** Why a cron expression cannot schedule a task, or null when it can. */
export function cronProblem(expression: string): string | null {
  const cron = readCron(expression);
  if (typeof cron === "string") return cron;
  return cron.nextRun(EPOCH) === null ? "never runs: no date matches it" : null;
}

/**
 * The first time an expression runs strictly after `after` (UTC, on a whole minute), or null
 * when it never does. Throws on an expression that is not five-field cron.
 */
export function nextRunAfter(cron: string, after: Date): Date | null {
  const parsed = readCron(cron);
  if (typeof parsed === "string") throw new TypeError(`cron "${cron}" ${parsed}`);
  return parsed.nextRun(after);
}
