import { dereference, type Schema, Validator } from "@cfworker/json-schema";

/** The JSON Schema draft config schemas are read as. */
export const CONFIG_SCHEMA_DRAFT = "2020-12";

/**
 * The secret fields of a config schema: top-level properties marked `writeOnly`, the JSON
 * Schema annotation for values a client sends but never reads back.
 */
export function secretFields(schema: Record<string, unknown> | undefined): string[] {
  const properties = schema?.properties;
  if (!isRecord(properties)) return [];
  return Object.entries(properties)
    .filter(([, property]) => isRecord(property) && property.writeOnly === true)
    .map(([name]) => name);
}

/**
 * What makes a plugin's config schema unusable, found at publish time rather than at an
 * install: a `$ref` that resolves nowhere inside the schema (nothing is fetched), a
 * `pattern` or `patternProperties` key that is no regular expression, or `writeOnly`
 * anywhere but directly on a top-level property (only those are kept apart as secrets,
 * so one reached any other way would be stored and shown in clear).
 */
export function configSchemaProblem(schema: Record<string, unknown>): string | null {
  try {
    const copy = structuredClone(schema) as Schema;
    const lookup = dereference(copy);
    const topLevel = new Set(isRecord(copy.properties) ? Object.values(copy.properties) : []);
    for (const subschema of new Set(Object.values(lookup))) {
      if (!isRecord(subschema)) continue;
      const ref = subschema.__absolute_ref__;
      if (typeof ref === "string" && lookup[ref] === undefined) {
        return `is not a usable JSON Schema: $ref "${String(subschema.$ref)}" resolves to nothing in this schema`;
      }
      if (typeof subschema.pattern === "string") new RegExp(subschema.pattern, "u");
      if (isRecord(subschema.patternProperties)) {
        for (const pattern of Object.keys(subschema.patternProperties)) new RegExp(pattern, "u");
      }
      if (subschema.writeOnly === true && !topLevel.has(subschema)) {
        return "marks a field writeOnly below the top level; only top-level properties can be secret";
      }
    }
    new Validator(schema, CONFIG_SCHEMA_DRAFT, false).validate({});
  } catch (error) {
    return `is not a usable JSON Schema: ${error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error)}`;
  }
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
