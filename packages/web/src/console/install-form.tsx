import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId } from "react";
import { useLocation } from "wouter";
import { ProblemNotice } from "../layout/problem-notice";
import { platform } from "../platform";
import { afterInstanceChange } from "./instance-queries";
import { UPDATE_POLICIES, type UpdatePolicy } from "./update-policies";

/** Installs a plugin by id, at a version, tag or range, under an instance id of the tenant's choosing. */
export function InstallForm({ tenantId }: { tenantId: string }) {
  const queries = useQueryClient();
  const [, navigate] = useLocation();
  const ids = { plugin: useId(), version: useId(), instance: useId(), policy: useId(), hint: useId() };
  const install = useMutation({
    mutationFn: (input: { pluginId: string; version: string; instanceId?: string; updatePolicy: UpdatePolicy }) =>
      platform.installations.install.mutate({ tenantId, ...input }),
    onSuccess: (instance) => {
      afterInstanceChange(queries, instance);
      navigate(`/instances/${instance.instanceId}`);
    },
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const field = (name: string) => String(form.get(name) ?? "").trim();
    install.mutate({
      pluginId: field("pluginId"),
      version: field("version") || "latest",
      instanceId: field("instanceId") || undefined,
      updatePolicy: UPDATE_POLICIES.find((policy) => policy.value === field("updatePolicy"))?.value ?? "pinned",
    });
  }

  return (
    <section aria-labelledby="install-title" className="console-section">
      <h2 id="install-title">Install a plugin</h2>
      <form className="stacked-form narrow" onSubmit={submit}>
        <div className="field">
          <label htmlFor={ids.plugin}>Plugin id</label>
          <input id={ids.plugin} name="pluginId" required autoComplete="off" spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor={ids.version}>Version, tag or range</label>
          <input id={ids.version} name="version" placeholder="latest" autoComplete="off" spellCheck={false} />
          <small>Resolved once, now: the instance is pinned to the exact version it names.</small>
        </div>
        <div className="field">
          <label htmlFor={ids.instance}>Instance id (optional)</label>
          <input
            id={ids.instance}
            name="instanceId"
            autoComplete="off"
            spellCheck={false}
            aria-describedby={ids.hint}
          />
          <small id={ids.hint}>Defaults to the plugin id; another id runs the same plugin twice.</small>
        </div>
        <div className="field">
          <label htmlFor={ids.policy}>Update policy</label>
          <select id={ids.policy} name="updatePolicy" defaultValue="pinned">
            {UPDATE_POLICIES.map((policy) => (
              <option key={policy.value} value={policy.value}>
                {policy.label}
              </option>
            ))}
          </select>
        </div>
        {install.isError && <ProblemNotice error={install.error} title="Not installed" />}
        <div>
          <button type="submit" className="button" disabled={install.isPending}>
            {install.isPending ? "Installing…" : "Install"}
          </button>
        </div>
      </form>
    </section>
  );
}
