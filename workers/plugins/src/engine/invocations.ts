import { RegistryError } from "../lib/errors";
import { ServerModuleUnavailable } from "./server-modules";

/** Longest plugin message passed on in a refusal. */
const MAX_PLUGIN_MESSAGE = 500;

/** Why a call into a plugin was cut off at the host's deadline. */
class DeadlineExceeded extends Error {}

/**
 * `call`, or DeadlineExceeded after `deadlineMs` of wall clock. Only awaits can be cut: a
 * synchronous loop holds its isolate until the runtime's CPU limit ends it (production), and
 * under local workerd, which enforces none, everything else meanwhile.
 */
export async function withinDeadline<T>(call: Promise<T>, deadlineMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded()), deadlineMs);
  });
  try {
    return await Promise.race([call, deadline]);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}

/** Whether a call into a plugin failed by taking too long: the host's deadline, or workerd seeing it could never answer. */
export function timedOut(error: unknown): boolean {
  return error instanceof DeadlineExceeded || (error instanceof Error && error.message.includes("had hung"));
}

/** The plugin's own words from an error that crossed the isolate boundary, trimmed: never a stack of the platform's. */
export function pluginMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // "Failed to start Worker:\nUncaught Error: boom\n  at plugin.js:2:7": the line that says what.
  const line = text.split("\n").find((part) => part.startsWith("Uncaught ")) ?? text.split("\n")[0] ?? "";
  return line.replace(/^Uncaught /, "").slice(0, MAX_PLUGIN_MESSAGE);
}

/** The refusal a failed call into a plugin answers, and its status for the log. */
export function pluginFailure(error: unknown, deadlineMs: number): { error: RegistryError; status: number } {
  if (error instanceof RegistryError) return { error, status: 400 };
  if (error instanceof ServerModuleUnavailable) {
    return { error: new RegistryError("SERVICE_UNAVAILABLE", `The plugin cannot run: ${error.message}`), status: 503 };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (timedOut(error)) {
    return {
      error: new RegistryError("GATEWAY_TIMEOUT", `The plugin did not answer within ${deadlineMs} ms`),
      status: 504,
    };
  }
  if (message.startsWith("Failed to start Worker")) {
    return {
      error: new RegistryError("BAD_GATEWAY", `The plugin's server module failed to start: ${pluginMessage(error)}`),
      status: 502,
    };
  }
  return { error: new RegistryError("BAD_GATEWAY", `The plugin failed: ${pluginMessage(error)}`), status: 502 };
}
