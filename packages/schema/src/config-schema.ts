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
 * `$ref` that only leads back to itself, a `pattern` or `patternProperties` key that is no
 * regular expression, or `writeOnly` anywhere but directly on a top-level property, or at
 * the end of a `$ref` (only top-level properties are kept apart as secrets, so a secret
 * reached any other way would be stored and shown in clear).
 */
export function configSchemaProblem(schema: Record<string, unknown>): string | null {
  try {
    const copy = structuredClone(schema) as Schema;
    const lookup = dereference(copy);
    const topLevel = new Set(isRecord(copy.properties) ? Object.values(copy.properties) : []);
    for (const subschema of new Set(Object.values(lookup))) {
      if (!isRecord(subschema)) continue;
      const ref = subschema.__absolute_ref__;
      if (typeof ref === "string") {
        const target = lookup[ref];
        if (target === undefined) {
          return `is not a usable JSON Schema: $ref "${String(subschema.$ref)}" resolves to nothing in this schema`;
        }
        if (isRecord(target) && target.writeOnly === true) {
          return `$ref "${String(subschema.$ref)}" points at a writeOnly field; only top-level properties can be secret`;
        }
        if (refersBackToItself(subschema, lookup)) {
          return `is not a usable JSON Schema: $ref "${String(subschema.$ref)}" refers back to itself`;
        }
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

/** Whether following `$ref`s from `start`, without descending into anything, comes back to it. */
function refersBackToItself(start: Schema, lookup: Record<string, Schema | boolean>): boolean {
  const seen = new Set<unknown>([start]);
  let current: unknown = start;
  while (isRecord(current) && typeof current.__absolute_ref__ === "string") {
    current = lookup[current.__absolute_ref__];
    if (seen.has(current)) return true;
    seen.add(current);
  }
  return false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
