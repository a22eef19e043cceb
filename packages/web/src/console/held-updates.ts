import type { RouterOutputs } from "@plugins/client";
import { useQuery } from "@tanstack/react-query";
import { platform } from "../platform";
import type { Membership } from "./membership";

type AuditEntry = RouterOutputs["audit"]["list"]["items"][number];

export interface HeldUpdate {
  to: string;
  problems: string[];
  at: string;
}

/** Audit actions after which an instance's version is what it is now. */
const MOVES = new Set([
  "installation.update_held",
  "installation.auto_update",
  "installation.upgrade",
  "installation.rollback",
  "installation.install",
]);

/** How many of the newest audit entries are searched for held updates: one page of the log. */
const SCANNED = 200;

/**
 * Updates the instances' policies admit but that were held back (the config, the host, a hook
 * or the tenant's signature policy refused the new version), from the audit log: the platform
 * records each as `installation.update_held`, with the reasons. An instance's update is held
 * while that entry is its newest move and it still runs the version the entry moved from.
 */
export function heldUpdatesOf(
  entries: readonly AuditEntry[],
  instances: ReadonlyArray<{ instanceId: string; version: string }>,
): Map<string, HeldUpdate> {
  const newest = new Map<string, AuditEntry>();
  for (const entry of entries) {
    const instanceId = entry.details.instanceId;
    if (typeof instanceId !== "string" || !MOVES.has(entry.action) || newest.has(instanceId)) continue;
    newest.set(instanceId, entry);
  }
  const held = new Map<string, HeldUpdate>();
  for (const instance of instances) {
    const entry = newest.get(instance.instanceId);
    if (entry?.action !== "installation.update_held" || entry.details.from !== instance.version) continue;
    const problems = Array.isArray(entry.details.problems) ? entry.details.problems.map(String) : [];
    held.set(instance.instanceId, { to: String(entry.details.to), problems, at: String(entry.occurredAt) });
  }
  return held;
}

/** The held updates of the tenant's instances; none for a viewer, who may not read the audit log. */
export function useHeldUpdates(
  membership: Membership,
  instances: ReadonlyArray<{ instanceId: string; version: string }> | undefined,
) {
  const log = useQuery({
    queryKey: ["audit.list", membership.tenantId, "held-updates"],
    queryFn: () => platform.audit.list.query({ tenantId: membership.tenantId, limit: SCANNED }),
    enabled: membership.canAudit,
  });
  return log.data && instances ? heldUpdatesOf(log.data.items, instances) : new Map<string, HeldUpdate>();
}
