import { Validator } from "@cfworker/json-schema";

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
 * What makes a plugin's config schema unusable, found at publish time rather than at the
 * first install: a `$ref` that resolves nowhere, a `pattern` that is no regular expression,
 * or `writeOnly` below the top level (only top-level fields can be kept apart as secrets).
 */
export function configSchemaProblem(schema: Record<string, unknown>): string | null {
  try {
    new Validator(schema, CONFIG_SCHEMA_DRAFT, false).validate({});
    for (const pattern of collect(schema, "pattern")) new RegExp(String(pattern), "u");
  } catch (error) {
    return `is not a usable JSON Schema: ${error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error)}`;
  }
  const properties = isRecord(schema.properties) ? Object.values(schema.properties) : [];
  if (properties.some((property) => isRecord(property) && collect(property, "writeOnly", true).length > 0)) {
    return "marks a nested field writeOnly; only top-level properties can be secret";
  }
  return null;
}

/** Every value of `keyword` anywhere below `node` (and at `node` itself unless `below`). */
function collect(node: unknown, keyword: string, below = false): unknown[] {
  if (Array.isArray(node)) return node.flatMap((item) => collect(item, keyword));
  if (!isRecord(node)) return [];
  const own = !below && keyword in node ? [node[keyword]] : [];
  return [...own, ...Object.values(node).flatMap((value) => collect(value, keyword))];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
