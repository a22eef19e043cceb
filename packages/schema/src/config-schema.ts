import {
  dereference,
  format,
  type Schema,
  useEvaluationMeter,
  usePatternEngine,
  Validator,
} from "@cfworker/json-schema";
import {
  ConfigSchemaTooCostlyError,
  chargeEvaluation,
  expandedSizeProblem,
  meteredFormat,
  meteredPattern,
  patternCountProblem,
  withinEvaluationBudget,
} from "./config-schema-cost";
import { patternProblem, quotedPattern, UnrunnablePatternError } from "./linear-patterns";

export { ConfigSchemaTooCostlyError } from "./config-schema-cost";

/** The JSON Schema draft config schemas are read as. */
export const CONFIG_SCHEMA_DRAFT = "2020-12";

/**
 * Keywords whose failure (in @cfworker/json-schema's output) only says that something below them
 * failed, which is reported on its own: left out of what a user is told, here and in the console.
 */
export const AGGREGATE_KEYWORDS: ReadonlySet<string> = new Set([
  "properties",
  "patternProperties",
  "items",
  "prefixItems",
  "additionalItems",
  "allOf",
  "$ref",
  "$dynamicRef",
  "$recursiveRef",
  "if",
  "then",
  "else",
  "dependentSchemas",
  "false",
]);

/**
 * Formats the validator checks with a regular expression that backtracks super-linearly
 * (`url`'s nested `(?:[a-z…0-9]+-?)*` takes exponential time on a long host name), with what
 * to use instead. Refused at publish, and refusing to check at install, so they never run.
 * Every other format it knows runs in linear time on hostile input (see the tests).
 */
export const SUPER_LINEAR_FORMATS: Readonly<Record<string, string>> = {
  url: 'its check takes exponential time on long inputs; use "uri", with a pattern such as "^https?://" for the scheme',
};

/** A config schema format that is never checked, because its check is super-linear. */
export class SuperLinearFormatError extends Error {
  override name = "SuperLinearFormatError";
}

/**
 * The validator config values are checked with: `pattern` and `patternProperties` run on
 * RE2 (linear time, see linear-patterns.ts) through the patch of @cfworker/json-schema
 * under patches/, the formats in SUPER_LINEAR_FORMATS refuse to run, and each `validate`
 * runs on a budget of steps (config-schema-cost.ts): past it, it throws
 * ConfigSchemaTooCostlyError.
 */
export function configValidator(schema: Record<string, unknown>): Validator {
  useLinearTimeMatching();
  return new BudgetedValidator(schema as Schema, CONFIG_SCHEMA_DRAFT, false);
}

class BudgetedValidator extends Validator {
  override validate(instance: unknown): ReturnType<Validator["validate"]> {
    return withinEvaluationBudget(() => super.validate(instance));
  }
}

/**
 * Why a config schema could not check a value in linear time (what configValidator's
 * `validate` threw), or null for any other error.
 */
export function linearTimeRefusal(error: unknown): string | null {
  return error instanceof UnrunnablePatternError || error instanceof SuperLinearFormatError ? error.message : null;
}

let linearTimeMatching = false;

function useLinearTimeMatching(): void {
  if (linearTimeMatching) return;
  usePatternEngine(meteredPattern);
  useEvaluationMeter(chargeEvaluation);
  for (const [name, check] of Object.entries(format)) format[name] = meteredFormat(check);
  for (const [name, reason] of Object.entries(SUPER_LINEAR_FORMATS)) {
    format[name] = () => {
      throw new SuperLinearFormatError(`format "${name}" is not supported: ${reason}`);
    };
  }
  linearTimeMatching = true;
}

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
 * regular expression or cannot run in linear time (named with where it is), a format of
 * SUPER_LINEAR_FORMATS, or `writeOnly` anywhere but directly on a top-level property, or at
 * the end of a `$ref` (only top-level properties are kept apart as secrets, so a secret
 * reached any other way would be stored and shown in clear), or a schema too costly to
 * check (past the limits of config-schema-cost.ts, or whose defaults spend the budget).
 */
export function configSchemaProblem(schema: Record<string, unknown>): string | null {
  try {
    const copy = structuredClone(schema) as Schema;
    const lookup = dereference(copy);
    const countProblem = patternCountProblem(lookup);
    if (countProblem) return countProblem;
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
      const linearTimeProblem = linearTimeProblemOf(subschema);
      if (linearTimeProblem) return linearTimeProblem;
      if (subschema.writeOnly === true && !topLevel.has(subschema)) {
        return "marks a field writeOnly below the top level; only top-level properties can be secret";
      }
    }
    const sizeProblem = expandedSizeProblem(copy, lookup);
    if (sizeProblem) return sizeProblem;
    configValidator(schema).validate({});
  } catch (error) {
    if (error instanceof ConfigSchemaTooCostlyError) return error.message;
    return `is not a usable JSON Schema: ${error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error)}`;
  }
  return null;
}

/**
 * Why a subschema's own patterns or format would not run in linear time, naming where:
 * `properties.host.pattern "^(?=a)" cannot run in linear time: …`. A pattern that is no
 * regular expression at all throws, and is reported as an unusable schema.
 */
function linearTimeProblemOf(subschema: Schema): string | null {
  const at = schemaLocation(subschema);
  const patterns = [
    ...(typeof subschema.pattern === "string" ? [[`${at}pattern`, subschema.pattern]] : []),
    ...(isRecord(subschema.patternProperties)
      ? Object.keys(subschema.patternProperties).map((pattern) => [`${at}patternProperties`, pattern])
      : []),
  ];
  for (const [keyword, pattern] of patterns as Array<[string, string]>) {
    new RegExp(pattern, "u");
    const problem = patternProblem(pattern);
    if (problem) return `${keyword} ${quotedPattern(pattern)} ${problem}`;
  }
  if (typeof subschema.format === "string" && Object.hasOwn(SUPER_LINEAR_FORMATS, subschema.format)) {
    return `${at}format "${subschema.format}" is not supported: ${SUPER_LINEAR_FORMATS[subschema.format]}`;
  }
  return null;
}

/** Where a dereferenced subschema sits, as a prefix of dotted names: `properties.host.` (empty at the root). */
function schemaLocation(subschema: Schema): string {
  const uri = subschema.__absolute_uri__ ?? "";
  const pointer = uri.includes("#") ? uri.slice(uri.indexOf("#") + 1) : "";
  return pointer
    .split("/")
    .filter((segment) => segment !== "")
    .map((segment) => `${decodeURIComponent(segment).replaceAll("~1", "/").replaceAll("~0", "~")}.`)
    .join("");
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
