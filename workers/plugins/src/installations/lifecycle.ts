import type { InstallationStatus } from "@plugins/schema";

/** What can be done to an instance's lifecycle; `start` and `stop` of the older service are activate and deactivate. */
export type LifecycleAction = "activate" | "deactivate" | "uninstall";

/** installed → active ⇄ inactive → uninstalled; an instance never activated may be uninstalled directly. */
const TRANSITIONS: Record<LifecycleAction, { from: readonly InstallationStatus[]; to: InstallationStatus }> = {
  activate: { from: ["installed", "inactive"], to: "active" },
  deactivate: { from: ["active"], to: "inactive" },
  uninstall: { from: ["installed", "inactive"], to: "uninstalled" },
};

export type Transition = { ok: true; to: InstallationStatus } | { ok: false; reason: string };

/** Where `action` takes an instance in `from`, or why it may not. */
export function transition(action: LifecycleAction, from: InstallationStatus, instanceId: string): Transition {
  const rule = TRANSITIONS[action];
  if (rule.from.includes(from)) return { ok: true, to: rule.to };
  return { ok: false, reason: refusal(action, from, instanceId) };
}

function refusal(action: LifecycleAction, from: InstallationStatus, instanceId: string): string {
  if (from === "uninstalled") return `Instance '${instanceId}' is uninstalled`;
  if (action === "activate") return `Instance '${instanceId}' is already active`;
  if (action === "deactivate") {
    return from === "inactive"
      ? `Instance '${instanceId}' is already inactive`
      : `Instance '${instanceId}' was never activated, so it cannot be deactivated`;
  }
  return `Instance '${instanceId}' is active; deactivate it before uninstalling`;
}
