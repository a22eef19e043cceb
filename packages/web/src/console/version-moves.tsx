import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId } from "react";
import { ProblemNotice } from "../layout/problem-notice";
import { platform } from "../platform";
import { afterInstanceChange, afterInstanceRefusal, type Instance } from "./instance-queries";
import { UPDATE_POLICIES, type UpdatePolicy } from "./update-policies";

/**
 * Upgrade (to any version, tag or range, higher or lower) and rollback (to the version
 * before the last move). A refusal (a hook, the tenant's signature policy, the host, the
 * config) is shown exactly as the API gives it.
 */
export function VersionMoves({ instance }: { instance: Instance }) {
  const queries = useQueryClient();
  const ids = { version: useId(), versions: useId() };
  const plugin = useQuery({
    queryKey: ["plugins.get", instance.pluginId],
    queryFn: () => platform.plugins.get.query({ pluginId: instance.pluginId }),
  });
  const ref = { tenantId: instance.tenantId, instanceId: instance.instanceId, revision: instance.revision };
  const upgrade = useMutation({
    mutationFn: (version: string) => platform.installations.upgrade.mutate({ ...ref, version }),
    onSuccess: (updated) => afterInstanceChange(queries, updated),
    onError: () => afterInstanceRefusal(queries, instance),
  });
  const rollback = useMutation({
    mutationFn: () => platform.installations.rollback.mutate(ref),
    onSuccess: (updated) => afterInstanceChange(queries, updated),
    onError: () => afterInstanceRefusal(queries, instance),
  });
  const choices = (plugin.data?.versions ?? []).filter((version) => version.status === "published").reverse();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    rollback.reset();
    const version = String(new FormData(event.currentTarget).get("version") ?? "").trim();
    if (version) upgrade.mutate(version);
  }

  return (
    <section aria-labelledby="versions-title" className="console-section">
      <h2 id="versions-title">Version</h2>
      <form className="inline-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={ids.version}>Move to version, tag or range</label>
          <input
            id={ids.version}
            name="version"
            list={ids.versions}
            required
            autoComplete="off"
            spellCheck={false}
            placeholder={plugin.data?.distTags.latest ?? "latest"}
          />
          <datalist id={ids.versions}>
            {Object.entries(plugin.data?.distTags ?? {}).map(([tag, version]) => (
              <option key={`tag-${tag}`} value={tag}>
                {tag} ({version})
              </option>
            ))}
            {choices.map((version) => (
              <option key={version.version} value={version.version} />
            ))}
          </datalist>
        </div>
        <button type="submit" className="button" disabled={upgrade.isPending}>
          {upgrade.isPending ? "Moving…" : "Upgrade"}
        </button>
      </form>
      {upgrade.isError && <ProblemNotice error={upgrade.error} title="Upgrade refused" />}
      {instance.previousVersion && (
        <p>
          <button
            type="button"
            className="button-quiet"
            disabled={rollback.isPending}
            onClick={() => {
              upgrade.reset();
              rollback.mutate();
            }}
          >
            Roll back to {instance.previousVersion}
          </button>
        </p>
      )}
      {rollback.isError && <ProblemNotice error={rollback.error} title="Rollback refused" />}
      <UpdatePolicyForm instance={instance} />
    </section>
  );
}

function UpdatePolicyForm({ instance }: { instance: Instance }) {
  const queries = useQueryClient();
  const id = useId();
  const setPolicy = useMutation({
    mutationFn: (updatePolicy: UpdatePolicy) =>
      platform.installations.setUpdatePolicy.mutate({
        tenantId: instance.tenantId,
        instanceId: instance.instanceId,
        revision: instance.revision,
        updatePolicy,
      }),
    onSuccess: (updated) => afterInstanceChange(queries, updated),
    onError: () => afterInstanceRefusal(queries, instance),
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const chosen = new FormData(event.currentTarget).get("updatePolicy");
    const policy = UPDATE_POLICIES.find((candidate) => candidate.value === chosen);
    if (policy) setPolicy.mutate(policy.value);
  }

  return (
    <>
      <form className="inline-form" onSubmit={submit} key={instance.updatePolicy}>
        <div className="field">
          <label htmlFor={id}>Update policy</label>
          <select id={id} name="updatePolicy" defaultValue={instance.updatePolicy}>
            {UPDATE_POLICIES.map((policy) => (
              <option key={policy.value} value={policy.value}>
                {policy.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button-quiet" disabled={setPolicy.isPending}>
          Set the policy
        </button>
      </form>
      {setPolicy.isError && <ProblemNotice error={setPolicy.error} title="The policy was not set" />}
    </>
  );
}
