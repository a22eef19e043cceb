import { describe, expect, it } from "vitest";
import { fanOutSchema, manyPatternsSchema } from "../../../test/costly-config-schemas";
import { configSchemaProblem, configValidator } from "./config-schema";
import {
  ConfigSchemaTooCostlyError,
  MAX_EVALUATION_STEPS,
  MAX_EXPANDED_PATTERN_INSTRUCTIONS,
  MAX_EXPANDED_SUBSCHEMAS,
} from "./config-schema-cost";
import { MAX_SCHEMA_PATTERNS } from "./linear-patterns";

/** A large but ordinary plugin config: 60 fields, shared definitions reached 100 times, 25 patterns. */
const realistic = {
  type: "object",
  properties: {
    apiToken: { type: "string", writeOnly: true },
    endpoint: { $ref: "#/$defs/url" },
    ...Object.fromEntries(
      Array.from({ length: 20 }, (_, index) => [
        `server${index}`,
        {
          type: "object",
          properties: { url: { $ref: "#/$defs/url" }, host: { $ref: "#/$defs/host" }, port: { $ref: "#/$defs/port" } },
          required: ["url"],
        },
      ]),
    ),
    ...Object.fromEntries(
      Array.from({ length: 20 }, (_, index) => [
        `label${index}`,
        { type: "string", pattern: `^[a-z]{1,${index + 8}}$` },
      ]),
    ),
    routes: { type: "array", maxItems: 200, items: { type: "object", properties: { path: { $ref: "#/$defs/path" } } } },
    tags: { type: "array", uniqueItems: true, items: { type: "string", pattern: "^[\\p{L}\\d_-]{1,40}$" } },
    email: { type: "string", format: "email" },
  },
  patternProperties: { "^x-[a-z-]+$": { type: "string" } },
  $defs: {
    url: { type: "string", format: "uri", pattern: "^https?://\\S+$" },
    host: { type: "string", pattern: "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$" },
    port: { type: "integer", minimum: 1, maximum: 65535 },
    path: { type: "string", pattern: "^/[\\w/.-]*$" },
  },
};

/** A full config for `realistic`, near the 64 KiB cap on configs. */
const realisticConfig = {
  apiToken: "t0ken",
  endpoint: "https://example.test/hook",
  ...Object.fromEntries(
    Array.from({ length: 20 }, (_, index) => [
      `server${index}`,
      { url: `https://s${index}.example.test/`, host: `s${index}.example.test`, port: 443 },
    ]),
  ),
  routes: Array.from({ length: 200 }, (_, index) => ({ path: `/a/${"b".repeat(200)}/${index}` })),
  tags: Array.from({ length: 500 }, (_, index) => `tag-${index}-${"t".repeat(30)}`),
  email: "ops@example.test",
};

function timed<T>(run: () => T): [T, number] {
  const started = performance.now();
  const result = run();
  return [result, performance.now() - started];
}

describe("configSchemaProblem, on schemas too costly to check", () => {
  it("refuses the $ref/allOf fan-out by its expanded size, in milliseconds although the expansion is exponential", () => {
    const [problem, ms] = timed(() => configSchemaProblem(fanOutSchema()));
    expect(problem).toBe(
      `is too costly to check: with its $refs expanded it has 524287 subschemas, at most ${MAX_EXPANDED_SUBSCHEMAS}`,
    );
    expect(ms).toBeLessThan(1_000);
    // 40 levels would expand to 2^41 subschemas: the check stays as cheap.
    const [deeper, deeperMs] = timed(() => configSchemaProblem(fanOutSchema(40, true)));
    expect(deeper).toMatch(/^is too costly to check: with its \$refs expanded it has \d+ subschemas/);
    expect(deeperMs).toBeLessThan(1_000);
  });

  it("refuses the 550 patterns by their count, before compiling them", () => {
    const [problem, ms] = timed(() => configSchemaProblem(manyPatternsSchema()));
    expect(problem).toBe(`is too costly to check: it has 550 distinct patterns, at most ${MAX_SCHEMA_PATTERNS}`);
    // Compiling them takes about 750 ms; counting them, about one.
    expect(ms).toBeLessThan(400);
  });

  it("refuses fewer patterns whose programs add up past the limit, counting each use through a $ref", () => {
    expect(configSchemaProblem(manyPatternsSchema(100))).toMatch(
      new RegExp(
        `^is too costly to check: with its \\$refs expanded its patterns compile to \\d+ instructions, at most ${MAX_EXPANDED_PATTERN_INSTRUCTIONS}$`,
      ),
    );
    // One 900-instruction pattern reached from 30 properties.
    const shared = {
      type: "object",
      properties: Object.fromEntries(Array.from({ length: 30 }, (_, index) => [`f${index}`, { $ref: "#/$defs/big" }])),
      $defs: { big: { type: "string", pattern: "[ab]{899}" } },
    };
    expect(configSchemaProblem(shared)).toMatch(/its patterns compile to 27\d\d\d instructions/);
  });

  it("measures a recursive schema (a tree of menus) once around its loop, and accepts it", () => {
    const tree = {
      type: "object",
      properties: { menu: { $ref: "#/$defs/item" } },
      $defs: {
        item: {
          type: "object",
          properties: {
            label: { type: "string", pattern: "^\\S" },
            children: { type: "array", items: { $ref: "#/$defs/item" } },
          },
        },
      },
    };
    expect(configSchemaProblem(tree)).toBeNull();
    expect(
      configValidator(tree).validate({ menu: { label: "a", children: [{ label: "b", children: [] }] } }).valid,
    ).toBe(true);
  });

  it("accepts a large but ordinary plugin config, and checks a near-64 KiB config against it promptly", () => {
    expect(configSchemaProblem(realistic)).toBeNull();
    expect(JSON.stringify(realisticConfig).length).toBeGreaterThan(50_000);
    const [result, ms] = timed(() => configValidator(realistic).validate(realisticConfig));
    expect(result.errors).toEqual([]);
    expect(ms).toBeLessThan(5_000);
  });
});

describe("configValidator's budget, for schemas stored before the limits or costly in ways they cannot see", () => {
  it.each([
    ["the $ref/allOf fan-out", fanOutSchema(), { p: "x".repeat(1000) }],
    ["the 550 patterns on 40 KB", manyPatternsSchema(), { s: "x".repeat(40_000) }],
    // Passes every static limit: one 900-instruction pattern, under items, on 30 strings of 1000.
    [
      "a long array under a large pattern",
      { type: "object", properties: { list: { type: "array", items: { type: "string", pattern: "[ab]{899}" } } } },
      { list: Array.from({ length: 30 }, () => "a".repeat(1000)) },
    ],
    [
      "uniqueItems on 20,000 items",
      { type: "object", properties: { list: { type: "array", uniqueItems: true } } },
      { list: Array.from({ length: 20_000 }, (_, index) => index) },
    ],
  ])("stops %s within its budget, in seconds, not minutes", (_, schema, config) => {
    const [thrown, ms] = timed(() => {
      try {
        configValidator(schema).validate(config);
        return null;
      } catch (error) {
        return error;
      }
    });
    expect(thrown).toBeInstanceOf(ConfigSchemaTooCostlyError);
    expect((thrown as Error).message).toBe(
      `is too costly to check: its evaluation passed the budget of ${MAX_EVALUATION_STEPS} steps`,
    );
    // The step budget is the guarantee; the clock shows only that it is not minutes, on a busy machine too.
    expect(ms).toBeLessThan(5_000);
  });

  it("stops the fan-out at the root in the publish-time check of the defaults", () => {
    // configSchemaProblem refuses it on size first; the defaults check alone is bounded too.
    const [thrown, ms] = timed(() => {
      try {
        configValidator(fanOutSchema(17, true)).validate({});
      } catch (error) {
        return error;
      }
    });
    expect(thrown).toBeInstanceOf(ConfigSchemaTooCostlyError);
    expect(ms).toBeLessThan(5_000);
  });

  it("gives every validation a fresh budget", () => {
    const validator = configValidator(realistic);
    for (let run = 0; run < 20; run++) expect(validator.validate(realisticConfig).valid).toBe(true);
  });
});
