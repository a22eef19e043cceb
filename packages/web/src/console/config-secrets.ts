import { secretFields } from "@plugins/schema";
import type { RJSFSchema } from "@rjsf/utils";

/**
 * A secret field as the configure form handles it. The platform never returns a secret (only
 * `secretsSet`, the names of those that hold one), so the form cannot show one or send one
 * back: a secret left out of `installations.configure` keeps its stored value, one sent as
 * `null` is removed (configure.ts), and only a value typed now is sent.
 */
export interface SecretField {
  name: string;
  title: string;
  description: string | null;
  schema: RJSFSchema;
  required: boolean;
  set: boolean;
}

export type SecretEdit = { kind: "keep" } | { kind: "set"; value: string } | { kind: "remove" };

/**
 * The config schema split for the form: the schema RJSF renders, without the secret fields
 * (each `writeOnly` top-level property, see secretFields), and those fields apart.
 */
export function splitConfigSchema(schema: RJSFSchema, secretsSet: readonly string[]) {
  const names = secretFields(schema as Record<string, unknown>);
  const properties = (schema.properties ?? {}) as Record<string, RJSFSchema>;
  const required = Array.isArray(schema.required) ? schema.required : [];
  const secrets: SecretField[] = names.map((name) => {
    const property = properties[name] ?? {};
    return {
      name,
      title: typeof property.title === "string" ? property.title : name,
      description: typeof property.description === "string" ? property.description : null,
      schema: property,
      required: required.includes(name),
      set: secretsSet.includes(name),
    };
  });
  const visible: RJSFSchema = {
    ...schema,
    properties: Object.fromEntries(Object.entries(properties).filter(([name]) => !names.includes(name))),
    ...(Array.isArray(schema.required) ? { required: required.filter((name) => !names.includes(name)) } : {}),
  };
  return { visible, secrets };
}

/** What `installations.configure` is sent: the visible fields, and of the secrets only what changes. */
export function configureConfig(
  visible: Record<string, unknown>,
  secrets: readonly SecretField[],
  edits: Readonly<Record<string, SecretEdit>>,
): Record<string, unknown> {
  const config: Record<string, unknown> = { ...visible };
  for (const secret of secrets) {
    // The visible part never holds a secret, but a stale form value must not slip one through.
    delete config[secret.name];
    const edit = edits[secret.name] ?? { kind: "keep" };
    if (edit.kind === "set") config[secret.name] = secretValue(secret.schema, edit.value);
    else if (edit.kind === "remove") config[secret.name] = null;
  }
  return config;
}

/** A typed secret in the type its schema asks for: numbers for a numeric field, else the text. */
function secretValue(schema: RJSFSchema, typed: string): unknown {
  if (
    (schema.type === "integer" || schema.type === "number") &&
    typed.trim() !== "" &&
    Number.isFinite(Number(typed))
  ) {
    return Number(typed);
  }
  return typed;
}
