import type { Schema } from "@cfworker/json-schema";
import { isCompiled, type LinearPattern, linearPattern, MAX_SCHEMA_PATTERNS } from "./linear-patterns";

/**
 * What checking a value against a config schema may cost. Every pattern runs in linear time,
 * but a whole validation need not: `$ref`s and `allOf`s reach the same subschema again and
 * again (17 levels of `allOf: [{$ref: next}, {$ref: next}]`, 2 KB, evaluate 2^17 patterns), and
 * hundreds of patterns on one long string add up. So a schema is refused at publish when its
 * size, with `$ref`s expanded, passes the limits below (measured with memoization, so that
 * the check is linear in the schema even where the expansion is exponential), and every
 * validation runs on a budget of steps, which stops what the static limits cannot see
 * (a long array under `items`, a version stored before the limits).
 */

/** Most subschemas a config schema may have with its `$ref`s expanded (a recursive `$ref` counts once). */
export const MAX_EXPANDED_SUBSCHEMAS = 10_000;

/** Most pattern instructions (`pattern`, `patternProperties`) a config schema may have with its `$ref`s expanded. */
export const MAX_EXPANDED_PATTERN_INSTRUCTIONS = 20_000;

/**
 * The budget of one validation, in steps. A step is one pattern instruction run on one
 * character (at worst about 70 ns here, usually far less); the other work is weighed in the
 * same unit below. 10 million steps stop a validation within about a second at worst, and
 * leave real configs far from it: a 64 KiB config checked against a 150-instruction pattern
 * in every character, or 150,000 subschema evaluations.
 */
export const MAX_EVALUATION_STEPS = 10_000_000;

/** Steps charged for each subschema evaluated (measured 1.5–5 µs). */
const SUBSCHEMA_STEPS = 64;
/** Item pairs `uniqueItems` compares per step (measured about 3 ns a pair). */
const ITEM_PAIRS_PER_STEP = 16;
/**
 * Steps charged for each error a subschema returns. Each is copied into every enclosing
 * result, by a spread that overflows the stack past about 120,000; at this weight the
 * budget stops a validation after 78,000 copies, and a config with 10,000 wrong items
 * three levels down still gets its errors.
 */
const ERROR_STEPS = 128;
/** Steps charged for compiling a pattern (measured 0.3–1.6 ms). */
const COMPILE_STEPS = 20_000;

/** A validation stopped because it spent its budget. */
export class ConfigSchemaTooCostlyError extends Error {
  override name = "ConfigSchemaTooCostlyError";
  constructor() {
    super(`is too costly to check: its evaluation passed the budget of ${MAX_EVALUATION_STEPS} steps`);
  }
}

/** Steps left to the validation running, or Infinity outside one. */
let remainingSteps = Number.POSITIVE_INFINITY;

/** Runs `validation` on a budget of MAX_EVALUATION_STEPS; throws ConfigSchemaTooCostlyError when it spends it. */
export function withinEvaluationBudget<T>(validation: () => T): T {
  remainingSteps = MAX_EVALUATION_STEPS;
  try {
    return validation();
  } finally {
    remainingSteps = Number.POSITIVE_INFINITY;
  }
}

function charge(steps: number): void {
  remainingSteps -= steps;
  if (remainingSteps < 0) throw new ConfigSchemaTooCostlyError();
}

/** The meter installed into the validator (see the patch of @cfworker/json-schema). */
export function chargeEvaluation(kind: "subschema" | "itemPairs" | "errors", count: number): void {
  if (kind === "subschema") charge(count * SUBSCHEMA_STEPS);
  else if (kind === "errors") charge(count * ERROR_STEPS);
  else charge(Math.ceil(count / ITEM_PAIRS_PER_STEP));
}

/** `pattern` compiled for the validator, each test charged its input's length times the program size. */
export function meteredPattern(pattern: string): LinearPattern {
  if (!isCompiled(pattern)) charge(COMPILE_STEPS);
  const compiled = linearPattern(pattern);
  return {
    instructions: compiled.instructions,
    test: (input) => {
      charge(Math.max(input.length, 1) * compiled.instructions);
      return compiled.test(input);
    },
  };
}

/** A format check, charged a step per character of its input. */
export function meteredFormat(check: (value: string) => boolean): (value: string) => boolean {
  return (value) => {
    charge(Math.max(value.length, 1));
    return check(value);
  };
}

/**
 * Why a dereferenced config schema (`lookup` from `dereference`) has too many distinct
 * patterns, or null. Cheap, so it runs before the patterns are compiled (about a millisecond each).
 */
export function patternCountProblem(lookup: Record<string, Schema | boolean>): string | null {
  const patterns = new Set<string>();
  for (const subschema of Object.values(lookup)) {
    if (typeof subschema === "object") for (const pattern of ownPatterns(subschema)) patterns.add(pattern);
  }
  return patterns.size > MAX_SCHEMA_PATTERNS
    ? `is too costly to check: it has ${patterns.size} distinct patterns, at most ${MAX_SCHEMA_PATTERNS}`
    : null;
}

/**
 * Why a dereferenced config schema is too costly to check with its `$ref`s expanded, or
 * null. Its patterns must be known to compile (configSchemaProblem checks them first).
 */
export function expandedSizeProblem(root: Schema, lookup: Record<string, Schema | boolean>): string | null {
  const { subschemas, instructions } = expandedSize(root, lookup);
  if (subschemas > MAX_EXPANDED_SUBSCHEMAS) {
    return `is too costly to check: with its $refs expanded it has ${subschemas} subschemas, at most ${MAX_EXPANDED_SUBSCHEMAS}`;
  }
  if (instructions > MAX_EXPANDED_PATTERN_INSTRUCTIONS) {
    return `is too costly to check: with its $refs expanded its patterns compile to ${instructions} instructions, at most ${MAX_EXPANDED_PATTERN_INSTRUCTIONS}`;
  }
  return null;
}

type Size = { subschemas: number; instructions: number };

/** Keywords whose value is a subschema, or an array or a map of them. `$defs` is not: it is reached through `$ref`s. */
const SUBSCHEMA_KEYWORDS = [
  "not",
  "if",
  "then",
  "else",
  "items",
  "additionalItems",
  "unevaluatedItems",
  "contains",
  "additionalProperties",
  "unevaluatedProperties",
  "propertyNames",
];
const SUBSCHEMA_LIST_KEYWORDS = ["allOf", "anyOf", "oneOf", "prefixItems", "items"];
const SUBSCHEMA_MAP_KEYWORDS = ["properties", "patternProperties", "dependentSchemas", "dependencies"];

/**
 * The size of `root` with every `$ref` replaced by what it points at, each subschema's size
 * computed once (so the work is linear in the schema, whatever the expansion). A `$ref`
 * back into a subschema being measured (recursion, which the instance's depth bounds) counts
 * as one subschema.
 */
function expandedSize(root: Schema, lookup: Record<string, Schema | boolean>): Size {
  const sizes = new Map<Schema, Size>();
  const measuring = new Set<Schema>();

  const sizeOf = (schema: unknown): Size => {
    if (!isRecord(schema)) return { subschemas: 1, instructions: 0 };
    const known = sizes.get(schema);
    if (known) return known;
    if (measuring.has(schema)) return { subschemas: 1, instructions: 0 };
    measuring.add(schema);
    const size = { subschemas: 1, instructions: 0 };
    const add = (part: Size) => {
      // Capped so that a sum of exponentially many stays a finite, readable number.
      size.subschemas = Math.min(size.subschemas + part.subschemas, Number.MAX_SAFE_INTEGER);
      size.instructions = Math.min(size.instructions + part.instructions, Number.MAX_SAFE_INTEGER);
    };
    for (const pattern of ownPatterns(schema)) size.instructions += linearPattern(pattern).instructions;
    if (typeof schema.__absolute_ref__ === "string") add(sizeOf(lookup[schema.__absolute_ref__]));
    for (const keyword of SUBSCHEMA_KEYWORDS) if (isRecord(schema[keyword])) add(sizeOf(schema[keyword]));
    for (const keyword of SUBSCHEMA_LIST_KEYWORDS) {
      const list = schema[keyword];
      if (Array.isArray(list)) for (const item of list) add(sizeOf(item));
    }
    for (const keyword of SUBSCHEMA_MAP_KEYWORDS) {
      const map = schema[keyword];
      if (isRecord(map)) for (const value of Object.values(map)) if (!Array.isArray(value)) add(sizeOf(value));
    }
    measuring.delete(schema);
    sizes.set(schema, size);
    return size;
  };

  return sizeOf(root);
}

/** The patterns a subschema runs itself: its `pattern` and its `patternProperties` keys. */
function ownPatterns(schema: Schema): string[] {
  return [
    ...(typeof schema.pattern === "string" ? [schema.pattern] : []),
    ...(isRecord(schema.patternProperties) ? Object.keys(schema.patternProperties) : []),
  ];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
