// The form alone: the package index also exports a test registry that imports @rjsf/validator-ajv8.
import Form from "@rjsf/core/lib/components/Form.js";
import type { RJSFSchema } from "@rjsf/utils";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useMemo, useState } from "react";
import { EmptyState, LoadingRows } from "../layout/placeholders";
import { ProblemNotice } from "../layout/problem-notice";
import { platform } from "../platform";
import { configureConfig, type SecretEdit, type SecretField, splitConfigSchema } from "./config-secrets";
import { formValidator } from "./config-validator";
import { afterInstanceChange, afterInstanceRefusal, type Instance } from "./instance-queries";

type Config = Record<string, unknown>;

/**
 * The instance's configuration, as a form generated from its version's config JSON Schema
 * (the manifest's `config`, from `versions.get`). Secret fields are apart: shown as set or not
 * set, never read back, and sent only when a new value is typed or the secret removed.
 */
export function ConfigForm({ instance, canManage }: { instance: Instance; canManage: boolean }) {
  const version = useQuery({
    queryKey: ["versions.get", instance.pluginId, instance.version],
    queryFn: () => platform.versions.get.query({ pluginId: instance.pluginId, version: instance.version }),
    staleTime: Number.POSITIVE_INFINITY, // a published version's manifest never changes
  });
  const schema = version.data?.manifest.config as RJSFSchema | undefined;
  return (
    <section aria-labelledby="config-title" className="console-section">
      <h2 id="config-title">Configuration</h2>
      {version.isError && <ProblemNotice error={version.error} title="The version's config schema could not be read" />}
      {version.isPending && <LoadingRows rows={3} label="Loading the configuration" />}
      {version.data &&
        (schema ? (
          // Another version has another schema: the form starts again.
          <SchemaForm key={instance.version} instance={instance} schema={schema} canManage={canManage} />
        ) : (
          <EmptyState>
            {instance.pluginId}@{instance.version} takes no configuration.
          </EmptyState>
        ))}
    </section>
  );
}

function SchemaForm({ instance, schema, canManage }: { instance: Instance; schema: RJSFSchema; canManage: boolean }) {
  const queries = useQueryClient();
  const { visible, secrets } = useMemo(
    () => splitConfigSchema(schema, instance.secretsSet),
    [schema, instance.secretsSet],
  );
  // Held here, not by RJSF: a form left to itself starts again from `formData` whenever it re-renders.
  const [formData, setFormData] = useState<Config>(instance.config);
  // The stored configuration the form started from. Other changes to the instance (activate, a policy)
  // move its revision without touching it; a change of the configuration itself elsewhere is said.
  const [loaded, setLoaded] = useState<Config>(instance.config);
  const changedElsewhere = canManage && JSON.stringify(loaded) !== JSON.stringify(instance.config);
  const [edits, setEdits] = useState<Record<string, SecretEdit>>({});
  const [saved, setSaved] = useState(false);
  const configure = useMutation({
    mutationFn: (config: Config) =>
      platform.installations.configure.mutate({
        tenantId: instance.tenantId,
        instanceId: instance.instanceId,
        revision: instance.revision,
        config,
      }),
    onSuccess: (updated) => {
      // The typed secrets leave the page: their fields are emptied.
      setEdits({});
      setFormData(updated.config);
      setLoaded(updated.config);
      setSaved(true);
      afterInstanceChange(queries, updated);
    },
    onError: () => afterInstanceRefusal(queries, instance),
  });
  return (
    <Form<Config, RJSFSchema>
      schema={visible}
      formData={canManage ? formData : instance.config}
      validator={formValidator}
      disabled={!canManage}
      noHtml5Validate
      showErrorList="top"
      // The form shows what its validator refused (the list on top, each under its field) and takes the
      // keyboard there; handled, it is not logged to the console as an error either.
      focusOnFirstError
      onError={() => {
        setSaved(false);
        configure.reset();
      }}
      onChange={({ formData: changed }) => {
        setFormData(changed ?? {});
        setSaved(false);
      }}
      onSubmit={({ formData }) => configure.mutate(configureConfig(formData ?? {}, secrets, edits))}
    >
      {secrets.length > 0 && (
        <fieldset className="secrets">
          <legend>Secrets</legend>
          <p className="muted">
            Secrets are stored sealed and are never shown again, here or by the API. Leave a field empty to keep its
            value.
          </p>
          {secrets.map((secret) => (
            <SecretInput
              key={secret.name}
              secret={secret}
              edit={edits[secret.name] ?? { kind: "keep" }}
              disabled={!canManage}
              onEdit={(edit) => {
                setSaved(false);
                setEdits((current) => ({ ...current, [secret.name]: edit }));
              }}
            />
          ))}
        </fieldset>
      )}
      {configure.isError && <ProblemNotice error={configure.error} title="The configuration was refused" />}
      {changedElsewhere && (
        <p className="notice" role="status">
          The configuration was changed elsewhere since this form was loaded: saving replaces that change.{" "}
          <button
            type="button"
            className="button-quiet"
            onClick={() => {
              setFormData(instance.config);
              setLoaded(instance.config);
              configure.reset();
            }}
          >
            Load the current configuration
          </button>
        </p>
      )}
      {saved && (
        <p className="notice" role="status">
          Saved as revision {instance.revision}.
        </p>
      )}
      {canManage && (
        <button type="submit" className="button" disabled={configure.isPending}>
          {configure.isPending ? "Saving…" : "Save the configuration"}
        </button>
      )}
    </Form>
  );
}

function SecretInput({
  secret,
  edit,
  disabled,
  onEdit,
}: {
  secret: SecretField;
  edit: SecretEdit;
  disabled: boolean;
  onEdit: (edit: SecretEdit) => void;
}) {
  const ids = { input: useId(), state: useId(), remove: useId() };
  const removable = secret.set && !secret.required;
  if (disabled) {
    return (
      <div className="field secret-field" data-secret={secret.name}>
        <span className="secret-name">{secret.title}</span>
        <span className={`secret-state status ${secret.set ? "status-ok" : "status-warning"}`}>
          {secret.set ? "set" : "not set"}
        </span>
        {secret.description && <small>{secret.description}</small>}
      </div>
    );
  }
  return (
    <div className="field secret-field" data-secret={secret.name}>
      <label htmlFor={ids.input}>
        {secret.title}
        {secret.required && <span aria-hidden="true"> *</span>}
      </label>
      <span id={ids.state} className={`secret-state status ${secret.set ? "status-ok" : "status-warning"}`}>
        {secret.set ? "set" : "not set"}
      </span>
      <input
        id={ids.input}
        type="password"
        autoComplete="new-password"
        spellCheck={false}
        // Required only while it holds nothing: a secret that is set is kept when left empty.
        required={secret.required && !secret.set}
        aria-describedby={ids.state}
        placeholder={secret.set ? "Type a new value to replace it" : "Type a value to set it"}
        value={edit.kind === "set" ? edit.value : ""}
        disabled={edit.kind === "remove"}
        onChange={(event) =>
          onEdit(event.target.value === "" ? { kind: "keep" } : { kind: "set", value: event.target.value })
        }
      />
      {secret.description && <small>{secret.description}</small>}
      {removable && (
        <span className="checkbox">
          <input
            id={ids.remove}
            type="checkbox"
            checked={edit.kind === "remove"}
            onChange={(event) => onEdit(event.target.checked ? { kind: "remove" } : { kind: "keep" })}
          />
          <label htmlFor={ids.remove}>Remove this secret</label>
        </span>
      )}
    </div>
  );
}
