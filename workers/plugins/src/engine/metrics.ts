import type { CallSample, InstanceMetrics } from "@plugins/schema";

/*
 * An instance's call metrics, in its Durable Object (instance-store.ts): running totals, a
 * row per minute for the last hour (health), and the latest durations in a ring (latency
 * percentiles), so a read is a few small queries whatever the traffic was.
 */

const LATENCY_RING = 1000;
const MINUTE_MS = 60_000;
/** Minutes kept, and minutes health looks at. */
const KEPT_MINUTES = 60;
const HEALTH_MINUTES = 15;

export function createMetricTables(sql: SqlStorage) {
  sql.exec(`CREATE TABLE IF NOT EXISTS call_totals (id INTEGER PRIMARY KEY CHECK (id = 1), requests INTEGER NOT NULL,
      errors INTEGER NOT NULL, deadline_hits INTEGER NOT NULL, limit_hits INTEGER NOT NULL, next_slot INTEGER NOT NULL,
      last_error TEXT, last_error_at INTEGER);
    INSERT OR IGNORE INTO call_totals VALUES (1, 0, 0, 0, 0, 0, NULL, NULL);
    CREATE TABLE IF NOT EXISTS call_minutes (minute INTEGER PRIMARY KEY, requests INTEGER NOT NULL, errors INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS call_latencies (slot INTEGER PRIMARY KEY, ms INTEGER NOT NULL);`);
}

export function recordCalls(sql: SqlStorage, samples: readonly CallSample[], limitHits = 0) {
  for (const sample of samples) {
    const slot = sql.exec<{ next_slot: number }>("SELECT next_slot FROM call_totals WHERE id = 1").one().next_slot;
    sql.exec("INSERT OR REPLACE INTO call_latencies (slot, ms) VALUES (?, ?)", slot, Math.round(sample.durationMs));
    sql.exec(
      `UPDATE call_totals SET requests = requests + 1, errors = errors + ?, deadline_hits = deadline_hits + ?,
        limit_hits = limit_hits + ?, next_slot = ? WHERE id = 1`,
      sample.failed ? 1 : 0,
      sample.deadlineHit ? 1 : 0,
      sample.limitHit ? 1 : 0,
      (slot + 1) % LATENCY_RING,
    );
    if (sample.failed) {
      sql.exec("UPDATE call_totals SET last_error = ?, last_error_at = ? WHERE id = 1", sample.error, sample.at);
    }
    sql.exec(
      "INSERT INTO call_minutes (minute, requests, errors) VALUES (?, 1, ?) ON CONFLICT (minute) DO UPDATE SET requests = requests + 1, errors = errors + excluded.errors",
      Math.floor(sample.at / MINUTE_MS) * MINUTE_MS,
      sample.failed ? 1 : 0,
    );
  }
  // An answer cut for its size while it streamed: counted apart, its call is a sample already.
  if (limitHits > 0) sql.exec("UPDATE call_totals SET limit_hits = limit_hits + ? WHERE id = 1", limitHits);
  sql.exec("DELETE FROM call_minutes WHERE minute < ?", Date.now() - KEPT_MINUTES * MINUTE_MS);
}

type Totals = {
  requests: number;
  errors: number;
  deadline_hits: number;
  limit_hits: number;
  last_error: string | null;
  last_error_at: number | null;
};

export function readMetrics(sql: SqlStorage, now: number): Omit<InstanceMetrics, "lastScheduledRun"> {
  const totals = sql.exec<Totals>("SELECT * FROM call_totals WHERE id = 1").one();
  const recent = sql
    .exec<{ minute: number; requests: number; errors: number }>(
      "SELECT minute, requests, errors FROM call_minutes WHERE minute >= ? ORDER BY minute",
      now - HEALTH_MINUTES * MINUTE_MS,
    )
    .toArray();
  const durations = sql
    .exec<{ ms: number }>("SELECT ms FROM call_latencies ORDER BY ms")
    .toArray()
    .map((row) => row.ms);
  return {
    health: healthOf(recent),
    requests: totals.requests,
    errors: totals.errors,
    deadlineHits: totals.deadline_hits,
    limitHits: totals.limit_hits,
    latencyMs: durations.length === 0 ? null : { p50: percentile(durations, 0.5), p99: percentile(durations, 0.99) },
    recent: recent.map(({ minute, requests, errors }) => ({ minute, requests, errors })),
    lastError: totals.last_error === null ? null : { message: totals.last_error, at: totals.last_error_at ?? 0 },
  };
}

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], fraction: number): number {
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1] ?? 0;
}

export function healthOf(minutes: readonly { requests: number; errors: number }[]): InstanceMetrics["health"] {
  const requests = minutes.reduce((sum, minute) => sum + minute.requests, 0);
  const errors = minutes.reduce((sum, minute) => sum + minute.errors, 0);
  if (requests === 0) return "idle";
  if (errors === 0) return "healthy";
  return errors * 2 >= requests ? "failing" : "degraded";
}
