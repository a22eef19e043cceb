import type { RouterOutputs } from "@plugins/client";
import { type QueryClient, useQuery } from "@tanstack/react-query";
import { platform } from "../platform";

export type Instance = RouterOutputs["installations"]["get"];

/** The query keys of a tenant's instances: the list, and each one under it. */
export const instanceKeys = {
  list: (tenantId: string) => ["installations", tenantId] as const,
  one: (tenantId: string, instanceId: string) => ["installations", tenantId, instanceId] as const,
};

export function useInstance(tenantId: string, instanceId: string) {
  return useQuery({
    queryKey: instanceKeys.one(tenantId, instanceId),
    queryFn: () => platform.installations.get.query({ tenantId, instanceId }),
  });
}

/**
 * After a change to an instance: its new state at once, and everything derived from it read
 * again (the list, the audit log, the metrics).
 */
export function afterInstanceChange(queries: QueryClient, instance: Instance) {
  queries.setQueryData(instanceKeys.one(instance.tenantId, instance.instanceId), instance);
  void queries.invalidateQueries({ queryKey: instanceKeys.list(instance.tenantId), exact: true });
  void queries.invalidateQueries({ queryKey: ["audit.list"] });
  void queries.invalidateQueries({ queryKey: ["installations.metrics"] });
}

/**
 * After a refused change: the instance read again, since a refusal may come of a view gone
 * stale (CONFLICT, "changed meanwhile"), and the next try then starts from what is stored.
 */
export function afterInstanceRefusal(queries: QueryClient, instance: Instance) {
  void queries.invalidateQueries({ queryKey: instanceKeys.one(instance.tenantId, instance.instanceId), exact: true });
}
