import { deepCompareStrict, type OutputUnit, type Validator } from "@cfworker/json-schema";
import {
  AGGREGATE_KEYWORDS,
  ConfigSchemaTooCostlyError,
  configValidator,
  linearTimeRefusal,
  secretFields,
} from "@plugins/schema";

type ConfigObject = Record<string, unknown>;
type ConfigSchema = Record<string, unknown> | undefined;

export type ConfigCheck = { ok: true; config: ConfigObject } | { ok: false; problems: string[] };

/**
 * Checks a whole configuration (secrets included) against a version's config JSON Schema,
 * after filling in the schema's defaults. Each problem names the field (`config.port: …`).
 */
export function checkConfig(schema: ConfigSchema, config: ConfigObject): ConfigCheck {
  if (!schema) {
    const fields = Object.keys(config);
    return fields.length === 0
      ? { ok: true, config: {} }
      : { ok: false, problems: fields.map((field) => `config.${field}: this plugin takes no configuration`) };
  }
  const withDefaults = applyDefaults(schema, config) as ConfigObject;
  let result: ReturnType<Validator["validate"]>;
  try {
    result = configValidator(schema).validate(withDefaults);
  } catch (error) {
    // Stopped on its budget: the schema (one stored before the publish limits, or one whose
    // cost the limits cannot see, such as a long array under `items`) is the problem, not
    // the config, but no config gets through it.
    if (error instanceof ConfigSchemaTooCostlyError) {
      return { ok: false, problems: [`config: this version's config schema ${error.message}`] };
    }
    // A schema the validator cannot finish with (a $ref that loops on itself, or, in a version
    // published before patterns had to run in linear time, a pattern or format that cannot)
    // refuses every config it meets: the caller answers a 4xx or holds an update, never a 500.
    const refusal = linearTimeRefusal(error);
    return {
      ok: false,
      problems: [`config: this version's config schema cannot check it${refusal ? `: ${refusal}` : ""}`],
    };
  }
  if (result.valid) return { ok: true, config: withDefaults };
  const secrets = new Set(secretFields(schema));
  const problems = result.errors.flatMap((unit) => describe(unit, secrets));
  return { ok: false, problems: problems.length > 0 ? [...new Set(problems)] : ["config: does not match the schema"] };
}

/** The configuration split into what may be stored and shown, and the secret fields. */
export function splitSecrets(schema: ConfigSchema, config: ConfigObject) {
  const secret = new Set(secretFields(schema));
  const visible: ConfigObject = {};
  const secrets: ConfigObject = {};
  for (const [field, value] of Object.entries(config)) (secret.has(field) ? secrets : visible)[field] = value;
  return { visible, secrets };
}

/**
 * Merges a configuration sent by a client with the stored secrets: a secret field left out
 * keeps its stored value (a client cannot read it back to resend it), one sent as `null` is removed.
 */
export function mergeSecrets(schema: ConfigSchema, sent: ConfigObject, stored: ConfigObject): ConfigObject {
  const merged: ConfigObject = { ...sent };
  for (const field of secretFields(schema)) {
    if (!Object.hasOwn(sent, field) && Object.hasOwn(stored, field)) merged[field] = stored[field];
    else if (sent[field] === null) delete merged[field];
  }
  return merged;
}

/**
 * The configuration an instance takes to another version: the fields the current version
 * filled in with its own defaults are left behind when the target does not declare them,
 * so they cannot block a move (a rollback to a version that refuses unknown fields). A
 * value someone set, even one equal to nothing the target knows, is carried and checked.
 */
export function carriedConfig(from: ConfigSchema, to: ConfigSchema, config: ConfigObject): ConfigObject {
  const fromProperties = isRecord(from?.properties) ? from.properties : {};
  const toProperties = isRecord(to?.properties) ? to.properties : {};
  const carried: ConfigObject = {};
  for (const [field, value] of Object.entries(config)) {
    const declared = Object.hasOwn(fromProperties, field) ? fromProperties[field] : undefined;
    const isOwnDefault = isRecord(declared) && "default" in declared && deepCompareStrict(declared.default, value);
    if (Object.hasOwn(toProperties, field) || !isOwnDefault) carried[field] = value;
  }
  return carried;
}

/** Fills in `default`s of object properties left out, recursively; never overwrites a value. */
function applyDefaults(schema: unknown, value: unknown): unknown {
  if (!isRecord(schema) || !isRecord(value) || !isRecord(schema.properties)) return value;
  const filled: ConfigObject = { ...value };
  for (const [field, property] of Object.entries(schema.properties)) {
    if (!isRecord(property)) continue;
    if (!Object.hasOwn(filled, field) && "default" in property) filled[field] = structuredClone(property.default);
    if (Object.hasOwn(filled, field)) filled[field] = applyDefaults(property, filled[field]);
  }
  return filled;
}

function describe(unit: OutputUnit, secrets: ReadonlySet<string>): string[] {
  if (AGGREGATE_KEYWORDS.has(unit.keyword)) return [];
  const at = fieldPath(unit.instanceLocation);
  // The validator's messages quote numbers and lengths: about a secret, say only where.
  const field = /^#\/([^/]+)/.exec(unit.instanceLocation)?.[1];
  if (field !== undefined && secrets.has(decodePointerSegment(field))) return [`${at}: does not match the schema`];
  const property = /property "([^"]*)"/i.exec(unit.error)?.[1];
  if (unit.keyword === "required" && property !== undefined) return [`${at}.${property}: is required`];
  if ((unit.keyword === "additionalProperties" || unit.keyword === "unevaluatedProperties") && property !== undefined) {
    return [`${at}.${property}: is not a setting of this plugin`];
  }
  return [`${at}: ${unit.error}`];
}

/** `#/servers/0/url` → `config.servers[0].url`. */
function fieldPath(pointer: string): string {
  const segments = pointer
    .replace(/^#\/?/, "")
    .split("/")
    .filter((segment) => segment !== "")
    .map(decodePointerSegment);
  return segments.reduce(
    (path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : `${path}.${segment}`),
    "config",
  );
}

function decodePointerSegment(segment: string): string {
  return decodeURIComponent(segment).replaceAll("~1", "/").replaceAll("~0", "~");
}

function isRecord(value: unknown): value is ConfigObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
