/** One JSON line per event, so logs can be queried by field (Workers Logs, Logpush). */
export function logEvent(level: "info" | "warn" | "error", event: string, fields: Record<string, unknown>) {
  const line = JSON.stringify({ level, event, worker: "plugins", ...fields });
  if (level === "error") console.error(line);
  else console.info(line);
}
