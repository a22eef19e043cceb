import { appRouter } from "@plugins/plugins-worker/router";
import {
  AUDIT_RESOURCE_TYPES,
  auditListInputSchema,
  blockInputSchema,
  configureInputSchema,
  createTokenInputSchema,
  deprecateInputSchema,
  downloadStatsInputSchema,
  exportSqlRowsInputSchema,
  exportStorageInputSchema,
  installInputSchema,
  instanceChangeSchema,
  instanceRefSchema,
  listInstancesInputSchema,
  maintainerInputSchema,
  manifestInputSchema,
  packageDocumentInputSchema,
  pluginRefSchema,
  rebuildReadModelsInputSchema,
  registerHostInputSchema,
  removeTagInputSchema,
  resealInputSchema,
  resignInputSchema,
  resolveInputSchema,
  SEARCH_SORTS,
  searchInputSchema,
  setTagInputSchema,
  setTenantPolicyInputSchema,
  setUpdatePolicyInputSchema,
  tenantRefSchema,
  tokenRefSchema,
  upgradeInputSchema,
  versionRefSchema,
  yankInputSchema,
} from "@plugins/schema";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, type StoredState, storedState, type TrpcErrorBody } from "./attack-helpers";
import { mintCast } from "./cast";
import { install, pluginMetadata, present, publish, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

/**
 * Property-based fuzzing of every tRPC procedure that reads JSON through the gateway, as raw
 * HTTP (GET `?input=` for queries, a POST JSON body for mutations), with an admin token so
 * that authorization never masks validation. Malformed inputs must answer 400 BAD_REQUEST in
 * tRPC's shape; well-formed but hostile ones must never answer 5xx; nothing may change.
 * NOT_FUZZED names the other procedures, and a test holds both lists to the router.
 */

interface Schema {
  safeParse(value: unknown): { success: boolean };
}

interface Procedure {
  path: string;
  kind: "query" | "mutation";
  schema: Schema;
  keys: string[];
  /** A valid value per key, mixed into "right keys, wrong types" inputs. */
  plausible: Record<string, fc.Arbitrary<unknown>>;
  /**
   * Schema-valid, hostile inputs, and the statuses a correct answer may have; empty for a
   * procedure whose well-formed input would store something (creating a token).
   */
  wellFormed: fc.Arbitrary<Record<string, unknown>>;
  wellFormedStatuses: number[];
}

/** Inputs sent concurrently per property run, and runs per procedure. */
const BATCH = 8;
const MALFORMED_RUNS = 12;
const RAW_RUNS = 4;
const WELL_FORMED_RUNS = 6;

let stack: Stack;
let admin: string;
let initial: StoredState;
const sent = { malformed: 0, raw: 0, wellFormed: 0 };

beforeAll(async () => {
  stack = await startStack();
  admin = (await mintCast(stack)).root;
  // Real rows for the queries to find: a plugin with two versions, a tag, a maintainer and an installation.
  await publish(stack, admin, pluginMetadata({ id: "target", version: "1.0.0" }));
  await publish(stack, admin, pluginMetadata({ id: "target", version: "1.1.0-beta.1" }));
  await trpc(stack, admin).tags.set.mutate({ pluginId: "target", tag: "beta", version: "1.1.0-beta.1" });
  await trpc(stack, admin).maintainers.add.mutate({ pluginId: "target", userId: "keeper" });
  expect((await install(stack, admin, "acme", { pluginId: "target" })).status).toBe(201);
  initial = await storedState(stack);
});
afterAll(() => stack?.stop());

// ---------------------------------------------------------------------------------------
// Generators

const nastyNumbers = fc.constantFrom(
  0,
  -0,
  1,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1e308,
  -1e308,
  5e-324,
  2 ** 53 + 2,
  -(2 ** 31),
);

const nastyStrings = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "target\u0000",
    "\ud800",
    "\udfff",
    "\udfff\ud800",
    "target\ud800",
    "..",
    "../target",
    "target/../x",
    "%2e%2e",
    "..%2f",
    "\\",
    "target\n",
    " target",
    "TARGET",
    "ｔａｒｇｅｔ",
    "\u202eget",
    "1.0.0\u0000",
    "v",
    "1.0",
    "latest!",
    "^^1",
    "' or 1=1 --",
    "'; drop table plugins; --",
    "$1",
    "__proto__",
    "constructor",
    "0000-01-01",
    "2024-02-30",
    "2024-13-01",
    "99999-01-01",
    "-001-01-01",
    "2024-01-01T00:00:00Z",
  ),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", minLength: 65, maxLength: 300 }),
  fc.constantFrom("x".repeat(501), "é".repeat(257), "a".repeat(2000), "\ud83d\ude00".repeat(1000)),
);

const nastyValues: fc.Arbitrary<unknown> = fc.oneof(
  nastyNumbers,
  nastyStrings,
  fc.constantFrom(null, true, false, [], {}, [null], [""], { length: 1 }, { __proto__: null }),
  fc.constant(JSON.parse('{"__proto__": {"pluginId": "target", "tenantId": "acme"}}')),
  fc.array(nastyStrings, { maxLength: 3 }),
  fc.double(),
  fc.integer(),
);

const anyJson = fc.anything({
  withBigInt: false,
  withBoxedValues: false,
  withDate: false,
  withMap: false,
  withSet: false,
  withTypedArray: false,
  withNullPrototype: true,
  withSparseArray: true,
  withObjectString: true,
  withUnicodeString: true,
});

/** What the worker parses out of what we send: JSON has no NaN, -0 survives only in raw text. */
function wireOf(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

function parsed(wire: string | undefined): { ok: true; value: unknown } | { ok: false } {
  if (wire === undefined) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(wire) };
  } catch {
    return { ok: false };
  }
}

/** Whether the procedure's own input schema refuses what the worker will parse from `wire`. */
function refuses(procedure: Procedure, wire: string | undefined): boolean {
  // A POST body is decoded as UTF-8 text, which drops a byte-order mark; a query parameter keeps it.
  const text = procedure.kind === "mutation" && wire !== undefined ? wire.replace(/^\ufeff/, "") : wire;
  const value = parsed(text);
  return !value.ok || !procedure.schema.safeParse(value.value).success;
}

/** "Right keys, wrong types": every key of the input, each a plausible or a nasty value, some left out. */
function wrongTyped(procedure: Procedure): fc.Arbitrary<unknown> {
  const fields = Object.fromEntries(
    procedure.keys.map((key) => [key, fc.oneof(nastyValues, procedure.plausible[key] ?? nastyValues)]),
  );
  return fc.record(fields, { requiredKeys: [] });
}

/** Inputs the procedure's schema refuses, as the wire text sent. */
function malformed(procedure: Procedure): fc.Arbitrary<string | undefined> {
  const limit = procedure.kind === "query" ? 20_000 : Number.POSITIVE_INFINITY;
  return fc
    .oneof(
      { weight: 3, arbitrary: wrongTyped(procedure) },
      { weight: 2, arbitrary: anyJson },
      { weight: 2, arbitrary: fc.jsonValue() },
      { weight: 1, arbitrary: nastyValues },
      {
        weight: 1,
        arbitrary: fc.constantFrom(undefined, "a".repeat(procedure.kind === "query" ? 5000 : 200_000), {
          [procedure.keys[0] ?? "x"]: "a".repeat(procedure.kind === "query" ? 5000 : 200_000),
        }),
      },
    )
    .map(wireOf)
    .filter((wire) => (wire?.length ?? 0) <= limit && refuses(procedure, wire));
}

const rawLiterals = fc.constantFrom(
  "-0",
  "1e309",
  "-1e309",
  "1e-400",
  "NaN",
  "Infinity",
  "-Infinity",
  "0x10",
  "01",
  "1.",
  ".5",
  "+1",
  "'x'",
  "undefined",
  '"\\u0000"',
  '"\\ud800"',
  '"\\udc00\\ud800"',
  '"\\x41"',
  '"\t"',
  '"\\uZZZZ"',
  "[1,]",
  '{"a":1,}',
  "9007199254740993",
  "1e308",
  "true",
  "null",
  '""',
  "[]",
  "{}",
  '"latest"',
  '"1.0.0"',
  '"target"',
  '"acme"',
  '{"__proto__":{"pluginId":"target"}}',
  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
);

/** Wire text that is not JSON at all, or JSON only a hand could write (duplicate keys, -0, 1e309, \u0000). */
function rawWire(procedure: Procedure): fc.Arbitrary<string> {
  const keys = [...procedure.keys, "__proto__", "constructor"];
  const object = fc
    .array(fc.tuple(fc.constantFrom(...keys), rawLiterals), { minLength: 1, maxLength: keys.length + 1 })
    .map((pairs) => `{${pairs.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(",")}}`);
  return fc
    .oneof(
      object,
      rawLiterals,
      fc.string({ unit: "grapheme", maxLength: 200 }),
      fc.constantFrom("", "{", "}", '{"', "\u0000", '{"pluginId":"target"}garbage', "\ufeff{}", "[".repeat(5000)),
    )
    .filter((wire) => refuses(procedure, wire));
}

// Schema-valid building blocks, some of them hostile.

const knownOrUnknownId = fc.oneof(
  fc.constant("target"),
  fc.stringMatching(/^[a-z0-9]{1,20}(?:[-_.][a-z0-9]{1,10}){0,3}$/),
);
/** Plugin ids nothing was published under, so a well-formed mutation can only answer 404. */
const unknownId = fc.stringMatching(/^zz[a-z0-9]{0,20}(?:[-_.][a-z0-9]{1,10}){0,3}$/);
const hostileText = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.constantFrom(
    "' or 1=1 --",
    "'; drop table plugins; --",
    "a & b | !c",
    "a <-> b",
    '"unterminated',
    "-",
    "or or or",
    "*",
    ":*",
    "a:*",
    "!!!",
    "(((",
    "\\",
    "%",
    "_",
    "'",
    "''",
    "\u202e",
    "😀",
    "ǅ İ ß ﬁ",
    "$1 $2",
    "\r\n\t",
    "ａｂｃ",
  ),
);
const label = fc.stringMatching(/^[a-z0-9][a-z0-9.:-]{0,20}$/);
const tenantId = fc.oneof(fc.constant("acme"), fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/));
const version = fc.oneof(
  fc.constantFrom(
    "1.0.0",
    "v1.0.0",
    " 1.0.0 ",
    "=1.0.0",
    "1.0.0+build.7",
    "1.1.0-beta.1",
    "0.0.0-0",
    "99999.99999.99999",
  ),
  fc
    .tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000), fc.option(fc.stringMatching(/^[0-9A-Za-z-]{1,12}$/)))
    .map(([major, minor, patch, pre]) => `${major}.${minor}.${patch}${pre === null ? "" : `-${pre}`}`),
);
const reference = fc.oneof(
  fc.constantFrom("latest", "beta", "^1.0.0", "1.x", "*", ">=0.0.0 <2", "~1", "1.0.0 - 2.0.0", ">=1.1.0-0", "x || 1"),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/),
  version,
);
const tag = fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/);
const day = fc
  .date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T00:00:00Z"), noInvalidDate: true })
  .map((date) => date.toISOString().slice(0, 10));
const cursor = fc
  .record(
    {
      sort: fc.constantFrom(...SEARCH_SORTS),
      query: fc.constantFrom("plugin", "other"),
      id: fc.oneof(knownOrUnknownId, nastyStrings),
      key: fc.oneof(
        fc.double(),
        fc.constantFrom(1e39, -1e39, 1e-50, 3.4e38, 5e-324, 0, -0.5, 2 ** 53, 2 ** 63, -(2 ** 53)),
        fc.integer(),
        fc.maxSafeInteger(),
      ),
    },
    { requiredKeys: ["id"] },
  )
  .map((value) => Buffer.from(JSON.stringify(value)).toString("base64url"));

const auditAction = fc.oneof(
  fc.constantFrom("installation.", "installation.install", "plugin_version.publish", "a_b.", "a%b.", "x.y.z."),
  fc.stringMatching(/^[a-z][a-z0-9_]{0,12}(?:\.[a-z][a-z0-9_]{0,12}){0,2}\.?$/),
);
/** Instants Postgres must read as zod does: the first and last years, offsets that cross them, microseconds. */
const instant = fc.oneof(
  fc
    .date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true })
    .map((date) => date.toISOString()),
  fc.constantFrom(
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-14:00",
    "2026-01-01T00:00:00.123456789+14:00",
    "2024-02-29T23:59:59.999999Z",
  ),
);
const auditCursor = fc
  .oneof(
    fc.record({ id: fc.oneof(fc.integer(), fc.double(), fc.maxSafeInteger()), of: fc.string({ maxLength: 30 }) }),
    fc.constant({ id: 2 ** 53, of: "" }),
    fc.jsonValue(),
  )
  .map((value) => Buffer.from(JSON.stringify(value) ?? "").toString("base64url"))
  .filter((cursor) => cursor.length <= 200);

function validOnly(procedure: Pick<Procedure, "schema">, record: fc.Arbitrary<Record<string, unknown>>) {
  return record.filter((value) => procedure.schema.safeParse(value).success);
}

function procedure(
  path: string,
  kind: Procedure["kind"],
  schema: Schema,
  fields: Record<string, { plausible: fc.Arbitrary<unknown>; wellFormed: fc.Arbitrary<unknown>; optional?: boolean }>,
  wellFormedStatuses: number[],
): Procedure {
  const keys = Object.keys(fields);
  const wellFormed = validOnly(
    { schema },
    fc.record(Object.fromEntries(keys.map((key) => [key, fields[key]?.wellFormed ?? fc.constant(null)])), {
      requiredKeys: keys.filter((key) => !fields[key]?.optional),
    }),
  );
  return {
    path,
    kind,
    schema,
    keys,
    plausible: Object.fromEntries(keys.map((key) => [key, fields[key]?.plausible ?? fc.constant(null)])),
    wellFormed,
    wellFormedStatuses,
  };
}

const id = { plausible: fc.constantFrom("target", "zz-unknown"), wellFormed: knownOrUnknownId };
const mutationId = { plausible: fc.constantFrom("target", "zz-unknown"), wellFormed: unknownId };
const versionField = { plausible: fc.constant("1.0.0"), wellFormed: version };
const tenant = { plausible: fc.constant("acme"), wellFormed: tenantId };
const revisionField = { plausible: fc.constant(1), wellFormed: fc.integer({ min: 1 }), optional: true };
const text = (optional = false) => ({ plausible: fc.constant("why"), wellFormed: hostileText, optional });

const PROCEDURES: Procedure[] = [
  procedure(
    "plugins.search",
    "query",
    searchInputSchema,
    {
      query: { plausible: fc.constant("plugin"), wellFormed: hostileText, optional: true },
      category: { plausible: fc.constant("payment"), wellFormed: label, optional: true },
      extensionPoint: { plausible: fc.constant("payment-methods"), wellFormed: label, optional: true },
      sort: { plausible: fc.constant("name"), wellFormed: fc.constantFrom(...SEARCH_SORTS), optional: true },
      cursor: { plausible: cursor, wellFormed: cursor, optional: true },
      limit: { plausible: fc.constant(5), wellFormed: fc.integer({ min: 1, max: 100 }), optional: true },
    },
    [200, 400],
  ),
  procedure("plugins.get", "query", pluginRefSchema, { pluginId: id }, [200, 404]),
  procedure(
    "plugins.document",
    "query",
    packageDocumentInputSchema,
    { pluginId: id, ifNoneMatch: { plausible: fc.constant('"abc"'), wellFormed: hostileText, optional: true } },
    [200, 404],
  ),
  procedure(
    "plugins.resolve",
    "query",
    resolveInputSchema,
    { pluginId: id, range: { plausible: fc.constant("^1.0.0"), wellFormed: reference, optional: true } },
    [200, 404],
  ),
  procedure("versions.get", "query", versionRefSchema, { pluginId: id, version: versionField }, [200, 404]),
  procedure(
    "downloads.stats",
    "query",
    downloadStatsInputSchema,
    {
      pluginId: id,
      from: { plausible: fc.constant("2024-01-01"), wellFormed: day, optional: true },
      to: { plausible: fc.constant("2024-12-31"), wellFormed: day, optional: true },
    },
    [200],
  ),
  procedure(
    "installations.list",
    "query",
    listInstancesInputSchema,
    {
      tenantId: { plausible: fc.constant("acme"), wellFormed: tenantId },
      includeUninstalled: { plausible: fc.constant(true), wellFormed: fc.boolean(), optional: true },
    },
    [200],
  ),
  procedure("installations.get", "query", instanceRefSchema, { tenantId: tenant, instanceId: id }, [200, 404]),
  procedure("installations.schedule", "query", instanceRefSchema, { tenantId: tenant, instanceId: id }, [200, 404]),
  procedure("installations.metrics", "query", instanceRefSchema, { tenantId: tenant, instanceId: id }, [200, 404]),
  procedure("installations.metricsSummary", "query", tenantRefSchema, { tenantId: tenant }, [200]),
  procedure(
    "installations.exportStorage",
    "query",
    exportStorageInputSchema,
    {
      tenantId: tenant,
      instanceId: id,
      cursor: { plausible: fc.constant("a"), wellFormed: fc.string({ maxLength: 512 }), optional: true },
      limit: { plausible: fc.constant(10), wellFormed: fc.integer({ min: 1, max: 1000 }), optional: true },
    },
    [200, 404],
  ),
  procedure(
    "installations.exportSqlRows",
    "query",
    exportSqlRowsInputSchema,
    {
      tenantId: tenant,
      instanceId: id,
      table: { plausible: fc.constant("notes"), wellFormed: fc.string({ minLength: 1, maxLength: 512 }) },
      offset: { plausible: fc.constant(0), wellFormed: fc.nat(), optional: true },
      limit: { plausible: fc.constant(10), wellFormed: fc.integer({ min: 1, max: 1000 }), optional: true },
    },
    [404],
  ),
  ...(["activate", "deactivate", "uninstall", "rollback"] as const).map((move) =>
    procedure(
      `installations.${move}`,
      "mutation",
      instanceChangeSchema,
      { tenantId: tenant, instanceId: mutationId, revision: revisionField },
      [404],
    ),
  ),
  procedure(
    "installations.configure",
    "mutation",
    configureInputSchema,
    {
      tenantId: tenant,
      instanceId: mutationId,
      revision: revisionField,
      config: { plausible: fc.constant({ port: 1 }), wellFormed: fc.dictionary(label, nastyValues, { maxKeys: 4 }) },
    },
    [404],
  ),
  procedure(
    "installations.upgrade",
    "mutation",
    upgradeInputSchema,
    {
      tenantId: tenant,
      instanceId: mutationId,
      revision: revisionField,
      version: { plausible: fc.constant("^1"), wellFormed: reference },
    },
    [404],
  ),
  procedure(
    "installations.setUpdatePolicy",
    "mutation",
    setUpdatePolicyInputSchema,
    {
      tenantId: tenant,
      instanceId: mutationId,
      revision: revisionField,
      updatePolicy: {
        plausible: fc.constant("minor"),
        wellFormed: fc.constantFrom("pinned", "patch", "minor", "latest"),
      },
    },
    [404],
  ),
  procedure(
    "installations.resealSecrets",
    "mutation",
    resealInputSchema,
    {
      limit: { plausible: fc.constant(10), wellFormed: fc.integer({ min: 1, max: 100 }), optional: true },
      after: { plausible: fc.constant("00000000-0000-4000-8000-000000000000"), wellFormed: fc.uuid(), optional: true },
    },
    [200],
  ),
  procedure(
    "readModels.rebuild",
    "mutation",
    rebuildReadModelsInputSchema,
    {
      kind: {
        plausible: fc.constant("packages"),
        wellFormed: fc.constantFrom("packages", "tenant-manifests", "instances"),
      },
      cursor: { plausible: fc.constant("a"), wellFormed: fc.string({ maxLength: 200 }), optional: true },
      limit: { plausible: fc.constant(10), wellFormed: fc.integer({ min: 1, max: 500 }), optional: true },
    },
    [200],
  ),
  procedure("hosts.get", "query", tenantRefSchema, { tenantId: tenant }, [200]),
  procedure("policies.get", "query", tenantRefSchema, { tenantId: tenant }, [200]),
  procedure(
    "policies.set",
    "mutation",
    setTenantPolicyInputSchema,
    { tenantId: tenant, requireSignatures: { plausible: fc.constant(false), wellFormed: fc.boolean() } },
    [],
  ),
  procedure(
    "signatures.resign",
    "mutation",
    resignInputSchema,
    {
      signedBy: {
        plausible: fc.constant("retired"),
        wellFormed: fc.string({ minLength: 1, maxLength: 64 }),
        optional: true,
      },
      cursor: {
        plausible: fc.constant({ pluginId: "target", version: "1.0.0" }),
        wellFormed: fc.record({ pluginId: fc.string({ maxLength: 214 }), version: fc.string({ maxLength: 256 }) }),
        optional: true,
      },
      limit: { plausible: fc.constant(10), wellFormed: fc.integer({ min: 1, max: 500 }), optional: true },
    },
    [],
  ),
  procedure(
    "hosts.register",
    "mutation",
    registerHostInputSchema,
    {
      tenantId: tenant,
      version: versionField,
      extensionPoints: {
        plausible: fc.constant([{ name: "storage", contractVersion: "1.0.0" }]),
        wellFormed: fc.constant([]),
      },
    },
    [],
  ),
  procedure(
    "manifests.get",
    "query",
    manifestInputSchema,
    {
      tenantId: tenant,
      ifNoneMatch: { plausible: fc.constant('"abc"'), wellFormed: hostileText, optional: true },
    },
    [200],
  ),
  procedure(
    "versions.deprecate",
    "mutation",
    deprecateInputSchema,
    {
      pluginId: mutationId,
      version: versionField,
      message: text(),
      replacement: { plausible: fc.constant("target"), wellFormed: knownOrUnknownId, optional: true },
    },
    [404],
  ),
  procedure(
    "versions.yank",
    "mutation",
    yankInputSchema,
    { pluginId: mutationId, version: versionField, reason: text(true) },
    [404],
  ),
  procedure(
    "versions.block",
    "mutation",
    blockInputSchema,
    { pluginId: mutationId, version: versionField, reason: text() },
    [404],
  ),
  procedure(
    "tags.set",
    "mutation",
    setTagInputSchema,
    { pluginId: mutationId, tag: { plausible: fc.constant("beta"), wellFormed: tag }, version: versionField },
    [404],
  ),
  procedure(
    "tags.remove",
    "mutation",
    removeTagInputSchema,
    { pluginId: mutationId, tag: { plausible: fc.constant("beta"), wellFormed: tag } },
    [404],
  ),
  procedure(
    "installations.install",
    "mutation",
    installInputSchema,
    {
      tenantId: { plausible: fc.constant("acme"), wellFormed: tenantId },
      pluginId: mutationId,
      instanceId: { plausible: fc.constant("copy"), wellFormed: knownOrUnknownId, optional: true },
      version: { plausible: fc.constant("latest"), wellFormed: reference, optional: true },
      updatePolicy: { plausible: fc.constant("minor"), wellFormed: fc.constant("pinned"), optional: true },
      config: { plausible: fc.constant({}), wellFormed: fc.constant({}), optional: true },
      activate: { plausible: fc.constant(true), wellFormed: fc.boolean(), optional: true },
    },
    [404],
  ),
  procedure(
    "audit.list",
    "query",
    auditListInputSchema,
    {
      tenantId: { plausible: fc.constant("acme"), wellFormed: tenantId, optional: true },
      action: { plausible: fc.constant("installation."), wellFormed: auditAction, optional: true },
      resourceType: {
        plausible: fc.constant("installation"),
        wellFormed: fc.constantFrom(...AUDIT_RESOURCE_TYPES),
        optional: true,
      },
      resourceId: { plausible: fc.constant("target"), wellFormed: hostileText, optional: true },
      actor: { plausible: fc.constant("root"), wellFormed: hostileText, optional: true },
      since: { plausible: fc.constant("2026-01-01T00:00:00Z"), wellFormed: instant, optional: true },
      until: { plausible: fc.constant("2026-01-02T00:00:00Z"), wellFormed: instant, optional: true },
      cursor: { plausible: auditCursor, wellFormed: auditCursor, optional: true },
      limit: { plausible: fc.constant(5), wellFormed: fc.integer({ min: 1, max: 200 }), optional: true },
    },
    // A forged cursor, or one of other filters, is a 400 naming it.
    [200, 400],
  ),
  procedure(
    "tokens.create",
    "mutation",
    createTokenInputSchema,
    {
      name: { plausible: fc.constant("ci"), wellFormed: hostileText },
      plugins: { plausible: fc.constant(["target"]), wellFormed: fc.constant(["target"]) },
      actions: { plausible: fc.constant(["publish"]), wellFormed: fc.constant(["publish"]) },
      expiresInDays: { plausible: fc.constant(30), wellFormed: fc.constant(30), optional: true },
    },
    [],
  ),
  procedure(
    "tokens.revoke",
    "mutation",
    tokenRefSchema,
    { id: { plausible: fc.constant("00000000-0000-4000-8000-000000000000"), wellFormed: fc.uuid({ version: 4 }) } },
    [404],
  ),
  procedure("maintainers.list", "query", pluginRefSchema, { pluginId: id }, [200, 404]),
  procedure(
    "maintainers.add",
    "mutation",
    maintainerInputSchema,
    { pluginId: mutationId, userId: { plausible: fc.constant("keeper"), wellFormed: hostileText } },
    [404],
  ),
  procedure(
    "maintainers.remove",
    "mutation",
    maintainerInputSchema,
    { pluginId: mutationId, userId: { plausible: fc.constant("keeper"), wellFormed: hostileText } },
    [404],
  ),
];

/** The router's procedures PROCEDURES leaves out, each with the reason. */
const NOT_FUZZED: { path: string; kind: Procedure["kind"]; why: string }[] = [
  { path: "health.check", kind: "query", why: "takes no input" },
  { path: "tokens.list", kind: "query", why: "takes no input" },
  {
    path: "plugins.publish",
    kind: "mutation",
    why: "reads multipart form data, not JSON: its malformed bodies are in hostile-bodies",
  },
];

describe("the procedures fuzzed", () => {
  it("are exactly the plugins worker's router, less the ones NOT_FUZZED names", () => {
    // At run time `_def.procedures` holds every procedure by its dotted path; tRPC types it as
    // the nested record of routers.
    const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
    const routed = Object.entries(procedures).map(([path, built]) => `${path} (${built._def.type})`);
    const listed = [...PROCEDURES, ...NOT_FUZZED].map(({ path, kind }) => `${path} (${kind})`);
    expect(listed.sort()).toEqual(routed.sort());
  });
});

// ---------------------------------------------------------------------------------------
// Sending and judging

interface Answer {
  wire: string | undefined;
  status: number;
  text: string;
}

async function send(procedure: Procedure, wire: string | undefined): Promise<Answer> {
  const headers = bearer(admin);
  const response =
    procedure.kind === "query"
      ? await fetch(
          `${stack.url}/trpc/${procedure.path}${wire === undefined ? "" : `?input=${encodeURIComponent(wire)}`}`,
          { headers },
        )
      : await fetch(`${stack.url}/trpc/${procedure.path}`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: wire ?? "",
        });
  return { wire, status: response.status, text: await response.text() };
}

/** What is wrong with an answer, or null: its status must be allowed and any error in tRPC's shape. */
function judge(procedure: Procedure, answer: Answer, allowed: number[]): string | null {
  const shown = `${procedure.path} ${answer.wire === undefined ? "(no input)" : answer.wire.slice(0, 300)}`;
  if (!allowed.includes(answer.status)) {
    return `${shown}\n  answered ${answer.status}, expected ${allowed.join(" or ")}: ${answer.text.slice(0, 500)}`;
  }
  if (/ {4}at |node_modules|Failed query|\bselect\b.*\bfrom\b/i.test(answer.text)) {
    return `${shown}\n  leaked internals: ${answer.text.slice(0, 500)}`;
  }
  if (answer.status < 400) return null;
  let body: TrpcErrorBody;
  try {
    body = JSON.parse(answer.text) as TrpcErrorBody;
  } catch {
    return `${shown}\n  answered ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 300)}`;
  }
  const expectedCode = { 400: "BAD_REQUEST", 404: "NOT_FOUND" }[answer.status];
  if (body.error?.data?.code !== expectedCode || body.error.data.httpStatus !== answer.status) {
    return `${shown}\n  answered ${answer.status} with code ${body.error?.data?.code}: ${answer.text.slice(0, 300)}`;
  }
  if (body.error.data.path !== procedure.path) return `${shown}\n  names path ${body.error.data.path}`;
  return null;
}

async function sendAll(procedure: Procedure, wires: (string | undefined)[], allowed: number[]) {
  const answers = await Promise.all(wires.map((wire) => send(procedure, wire)));
  const problems = answers.map((answer) => judge(procedure, answer, allowed)).filter((problem) => problem !== null);
  if (problems.length > 0) throw new Error(problems.join("\n"));
}

const runOptions = (numRuns: number) => ({
  numRuns,
  // Each run is a network round trip: bound the whole property, shrinking included.
  interruptAfterTimeLimit: 40_000,
  markInterruptAsFailure: true,
});

describe.each(PROCEDURES)("$path ($kind)", (procedure) => {
  it("answers malformed JSON inputs 400 BAD_REQUEST", { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(malformed(procedure), { minLength: BATCH, maxLength: BATCH }), async (wires) => {
        sent.malformed += wires.length;
        await sendAll(procedure, wires, [400]);
      }),
      runOptions(MALFORMED_RUNS),
    );
  });

  it("answers wire text that is not JSON, or JSON only a hand writes, 400 BAD_REQUEST", {
    timeout: 60_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rawWire(procedure), { minLength: BATCH, maxLength: BATCH }), async (wires) => {
        sent.raw += wires.length;
        await sendAll(procedure, wires, [400]);
      }),
      runOptions(RAW_RUNS),
    );
  });

  it.skipIf(procedure.wellFormedStatuses.length === 0)(
    `answers well-formed, hostile inputs ${procedure.wellFormedStatuses.join(" or ")}, never 5xx`,
    {
      timeout: 60_000,
    },
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(procedure.wellFormed, { minLength: BATCH, maxLength: BATCH }), async (inputs) => {
          sent.wellFormed += inputs.length;
          await sendAll(procedure, inputs.map(wireOf), procedure.wellFormedStatuses);
        }),
        runOptions(WELL_FORMED_RUNS),
      );
    },
  );
});

describe("tRPC batches", () => {
  it("answers a batch of malformed mutations 400 for every call in it, changing nothing", async () => {
    const mutations = PROCEDURES.filter((candidate) => candidate.kind === "mutation");
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(fc.constantFrom(...mutations), { minLength: 2, maxLength: 6 })
          .chain((chosen) =>
            fc.tuple(fc.constant(chosen), fc.tuple(...chosen.map((candidate) => malformed(candidate)))),
          ),
        async ([chosen, wires]) => {
          sent.malformed += wires.length;
          const body = Object.fromEntries(
            wires.map((wire, index) => [String(index), wire === undefined ? undefined : JSON.parse(wire)]),
          );
          const response = await fetch(`${stack.url}/trpc/${chosen.map((c) => c.path).join(",")}?batch=1`, {
            method: "POST",
            headers: { ...bearer(admin), "content-type": "application/json" },
            body: JSON.stringify(body),
          });
          const text = await response.text();
          expect(response.status, text).toBe(400);
          const answers = JSON.parse(text) as TrpcErrorBody[];
          expect(answers.map((answer) => answer.error?.data?.code)).toEqual(chosen.map(() => "BAD_REQUEST"));
          expect(answers.map((answer) => answer.error.data.path)).toEqual(chosen.map((c) => c.path));
        },
      ),
      runOptions(10),
    );
  });
});

describe("deeply nested JSON", () => {
  it.each([
    ["a mutation body", "versions.yank", "mutation", "[".repeat(100_000)],
    ["a mutation body, closed", "versions.yank", "mutation", `${"[".repeat(50_000)}${"]".repeat(50_000)}`],
    ["a field of a mutation", "tags.set", "mutation", `{"pluginId":${"[".repeat(20_000)}${"]".repeat(20_000)}}`],
    ["a query input", "plugins.get", "query", `{"pluginId":${"[".repeat(3_000)}${"]".repeat(3_000)}}`],
  ] as const)("in %s answers 400", async (_, path, kind, wire) => {
    const target = present(
      PROCEDURES.find((candidate) => candidate.path === path),
      path,
    );
    expect(target.kind).toBe(kind);
    sent.raw += 1;
    await sendAll(target, [wire], [400]);
  });
});

describe("found by fuzzing", () => {
  const searchPage = (query: string, rank: number) =>
    fetch(
      `${stack.url}/trpc/plugins.search?input=${encodeURIComponent(
        JSON.stringify({
          query,
          cursor: Buffer.from(JSON.stringify({ sort: "relevance", query, key: rank, id: "target" })).toString(
            "base64url",
          ),
        }),
      )}`,
    );

  // The worker casts a cursor's rank to Postgres `real`; a rank no `real` can hold fails there (500).
  // No page ever hands out such a cursor (ranks come from ts_rank_cd, a real), so it is a bad cursor.
  it.each([1e39, -1e39, 1e-50, -5e-324, 5e-324])(
    "answers a search cursor whose rank %d no float4 can hold 400, not 500",
    async (rank) => {
      const response = await searchPage("plugin", rank);
      const text = await response.text();
      expect(response.status, text).toBe(400);
      const body = JSON.parse(text) as TrpcErrorBody;
      expect(body.error.data.code).toBe("BAD_REQUEST");
      expect(body.error.message).toMatch(/^cursor: /);
    },
  );

  it("still pages with a cursor whose rank a float4 holds", async () => {
    const response = await searchPage("plugin", 0.5);
    expect(response.status, await response.clone().text()).toBe(200);
  });
});

describe("oversized tRPC batches", () => {
  it("refuses every batch of more than 50 calls 400 naming the limit, by GET or POST, commas encoded or not", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...PROCEDURES), { minLength: 51, maxLength: 150 }),
        fc.constantFrom("GET", "POST"),
        fc.constantFrom(",", "%2C", "%2c"),
        async (chosen, method, comma) => {
          sent.raw += 1;
          const inputs = JSON.stringify(Object.fromEntries(chosen.map((_, index) => [String(index), {}])));
          const path = chosen.map((candidate) => candidate.path).join(comma);
          const response = await fetch(
            `${stack.url}/trpc/${path}?batch=1${method === "GET" ? `&input=${encodeURIComponent(inputs)}` : ""}`,
            {
              method,
              headers: { ...bearer(admin), "content-type": "application/json" },
              body: method === "POST" ? inputs : undefined,
            },
          );
          const text = await response.text();
          expect(response.status, text).toBe(400);
          const body = JSON.parse(text) as TrpcErrorBody;
          expect(body.error.data.code).toBe("BAD_REQUEST");
          expect(body.error.message).toContain(`at most 50 calls; this one has ${chosen.length}`);
        },
      ),
      runOptions(25),
    );
  });
});

describe("JSON nested past the depth limit (32 levels below the input)", () => {
  /** `depth` levels of arrays, objects or both in turn, as wire text built without recursion. */
  const nested = fc
    .record({ depth: fc.integer({ min: 33, max: 3_000 }), shape: fc.constantFrom("array", "object", "mixed") })
    .map(({ depth, shape }) => {
      const levels = Array.from({ length: depth }, (_, level) =>
        shape === "array" || (shape === "mixed" && level % 2 === 0) ? "array" : "object",
      );
      const open = levels.map((level) => (level === "array" ? "[" : '{"k":')).join("");
      const close = levels
        .map((level) => (level === "array" ? "]" : "}"))
        .reverse()
        .join("");
      return `${open}1${close}`;
    });

  it("answers any procedure 400 naming the limit, whichever field holds it, by GET ?input= or POST body", {
    timeout: 60_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...PROCEDURES)
          .chain((target) => fc.tuple(fc.constant(target), fc.constantFrom(...target.keys, "extra"), nested)),
        async ([target, key, value]) => {
          sent.raw += 1;
          const answer = await send(target, `{"${key}":${value}}`);
          const problem = judge(target, answer, [400]);
          if (problem) throw new Error(problem);
          expect((JSON.parse(answer.text) as TrpcErrorBody).error.message).toMatch(/nests deeper than 32 levels/);
        },
      ),
      runOptions(60),
    );
  });

  it("answers only the deep call of a batch 400, the others as usual", async () => {
    await fc.assert(
      fc.asyncProperty(nested, fc.integer({ min: 0, max: 2 }), async (value, deepIndex) => {
        sent.raw += 1;
        const inputs = [0, 1, 2].map((index) =>
          index === deepIndex ? `{"pluginId":${value}}` : '{"pluginId":"target"}',
        );
        const response = await fetch(
          `${stack.url}/trpc/plugins.get,plugins.get,plugins.get?batch=1&input=${encodeURIComponent(
            `{${inputs.map((input, index) => `"${index}":${input}`).join(",")}}`,
          )}`,
          { headers: bearer(admin) },
        );
        const answers = (await response.json()) as Array<{ result?: unknown } & Partial<TrpcErrorBody>>;
        expect(answers.map((answer) => answer.error?.data.code ?? "ok")).toEqual(
          [0, 1, 2].map((index) => (index === deepIndex ? "BAD_REQUEST" : "ok")),
        );
      }),
      runOptions(10),
    );
  });
});

it("sent at least 1,000 malformed inputs, and nothing stored changed", async () => {
  const malformedTotal = sent.malformed + sent.raw;
  console.info(`fuzz: ${malformedTotal} malformed inputs, ${sent.wellFormed} well-formed hostile inputs`);
  expect(malformedTotal).toBeGreaterThanOrEqual(1000);
  expect(await storedState(stack)).toEqual(initial);
});
