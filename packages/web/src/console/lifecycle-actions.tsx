import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useLocation } from "wouter";
import { ProblemNotice } from "../layout/problem-notice";
import { platform } from "../platform";
import { ConfirmButton } from "./confirm-button";
import { afterInstanceChange, afterInstanceRefusal, type Instance, instanceKeys } from "./instance-queries";

type Action = "activate" | "deactivate" | "uninstall";

/** Activate, deactivate, uninstall: what the instance's state allows, each refusal as the API words it. */
export function LifecycleActions({ instance }: { instance: Instance }) {
  const queries = useQueryClient();
  const [, navigate] = useLocation();
  const change = useMutation({
    mutationFn: (action: Action) =>
      platform.installations[action].mutate({
        tenantId: instance.tenantId,
        instanceId: instance.instanceId,
        revision: instance.revision,
      }),
    onSuccess: (updated) => {
      if (updated.status === "uninstalled") {
        queries.removeQueries({ queryKey: instanceKeys.one(updated.tenantId, updated.instanceId) });
        void queries.invalidateQueries({ queryKey: instanceKeys.list(updated.tenantId) });
        navigate("/");
        return;
      }
      afterInstanceChange(queries, updated);
    },
    onError: () => afterInstanceRefusal(queries, instance),
  });
  const stopped = instance.status === "installed" || instance.status === "inactive";
  return (
    <div className="lifecycle">
      <div className="button-row">
        {stopped && (
          <button
            type="button"
            className="button"
            disabled={change.isPending}
            onClick={() => change.mutate("activate")}
          >
            Activate
          </button>
        )}
        {instance.status === "active" && (
          <button
            type="button"
            className="button-quiet"
            disabled={change.isPending}
            onClick={() => change.mutate("deactivate")}
          >
            Deactivate
          </button>
        )}
        {stopped && (
          <ConfirmButton
            label="Uninstall"
            question={`Uninstall ${instance.instanceId}? Its configuration, its secrets and the data it stored are deleted; the history stays in the audit log.`}
            confirmLabel={`Yes, uninstall ${instance.instanceId}`}
            pending={change.isPending}
            onConfirm={() => change.mutate("uninstall")}
          />
        )}
      </div>
      {instance.status === "active" && <p className="muted">Deactivate the instance to uninstall it.</p>}
      {change.isError && <ProblemNotice error={change.error} title={`Not done (${change.variables})`} />}
    </div>
  );
}
