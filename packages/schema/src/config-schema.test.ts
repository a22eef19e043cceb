import { format } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import { HOSTILE_INPUT, SUPER_LINEAR_PATTERNS } from "../../../test/super-linear-patterns";
import {
  CONFIG_SCHEMA_DRAFT,
  configSchemaProblem,
  configValidator,
  linearTimeRefusal,
  SUPER_LINEAR_FORMATS,
  secretFields,
} from "./config-schema";
import { pluginManifestSchema } from "./manifest";

const usable = {
  type: "object",
  properties: {
    apiToken: { type: "string", writeOnly: true },
    webhookSecret: { type: "string", writeOnly: true },
    port: { type: "integer", minimum: 1, maximum: 65535, default: 8080 },
    host: { type: "string", pattern: "^[a-z0-9.-]+$" },
    endpoint: { $ref: "#/$defs/url" },
    retry: { type: "object", properties: { attempts: { type: "integer", default: 3 } } },
  },
  required: ["apiToken"],
  additionalProperties: false,
  $defs: { url: { type: "string", pattern: "^https://\\S+$" } },
};

describe("secretFields", () => {
  it("lists the top-level properties marked writeOnly: true, in schema order", () => {
    expect(secretFields(usable)).toEqual(["apiToken", "webhookSecret"]);
  });

  it("ignores writeOnly that is not exactly true", () => {
    expect(
      secretFields({
        properties: {
          a: { writeOnly: false },
          b: { writeOnly: "true" },
          c: { writeOnly: 1 },
          d: { type: "string" },
          e: true,
        },
      }),
    ).toEqual([]);
  });

  it("ignores writeOnly below the top level and on the root", () => {
    expect(
      secretFields({
        writeOnly: true,
        properties: { nested: { type: "object", properties: { token: { writeOnly: true } } } },
      }),
    ).toEqual([]);
  });

  it("is empty for no schema, or a schema without properties", () => {
    expect(secretFields(undefined)).toEqual([]);
    expect(secretFields({ type: "object" })).toEqual([]);
    expect(secretFields({ properties: [] as unknown as Record<string, unknown> })).toEqual([]);
    expect(secretFields({ properties: null as unknown as Record<string, unknown> })).toEqual([]);
  });
});

describe("configSchemaProblem", () => {
  it("accepts a usable schema, with local $refs, patterns and top-level secrets", () => {
    expect(configSchemaProblem(usable)).toBeNull();
    expect(configSchemaProblem({})).toBeNull();
    expect(configSchemaProblem({ type: "object", properties: { flag: true } })).toBeNull();
  });

  it("accepts patterns that need unicode mode, as the validator reads them", () => {
    expect(configSchemaProblem({ properties: { name: { type: "string", pattern: "^\\p{L}+$" } } })).toBeNull();
  });

  it("refuses an unresolvable $ref at the top", () => {
    expect(configSchemaProblem({ $ref: "#/$defs/missing" })).toMatch(/^is not a usable JSON Schema: /);
    expect(configSchemaProblem({ allOf: [{ $ref: "#/$defs/missing" }] })).toMatch(/^is not a usable JSON Schema: /);
  });

  it("refuses an unresolvable $ref under a property, which only an install with that field would reach", () => {
    expect(configSchemaProblem({ properties: { endpoint: { $ref: "#/$defs/missing" } } })).toMatch(
      /^is not a usable JSON Schema: /,
    );
  });

  it("refuses an unresolvable $ref deeper down, or in $defs", () => {
    expect(
      configSchemaProblem({
        properties: { db: { type: "object", properties: { host: { $ref: "#/$defs/missing" } } } },
      }),
    ).toMatch(/^is not a usable JSON Schema: /);
    expect(
      configSchemaProblem({ properties: { a: { $ref: "#/$defs/a" } }, $defs: { a: { $ref: "#/$defs/missing" } } }),
    ).toMatch(/^is not a usable JSON Schema: /);
  });

  it.each([
    ["an unterminated group", "("],
    ["a nothing-to-repeat", "*abc"],
    ["an unterminated class", "[a-z"],
    ["an identity escape unicode mode refuses", "[a-z]\\-"],
  ])("refuses a pattern with %s, with the reason on one line", (_, pattern) => {
    const problem = configSchemaProblem({ properties: { host: { type: "string", pattern } } });
    expect(problem).toMatch(/^is not a usable JSON Schema: Invalid regular expression/);
    expect(problem).not.toContain("\n");
  });

  it("refuses a bad pattern anywhere in the schema, also where {} never reaches", () => {
    expect(
      configSchemaProblem({
        properties: { list: { type: "array", items: { type: "string", pattern: "(" } } },
      }),
    ).toMatch(/^is not a usable JSON Schema: /);
    expect(configSchemaProblem({ $defs: { x: { pattern: "(" } } })).toMatch(/^is not a usable JSON Schema: /);
  });

  it("refuses writeOnly below the top level", () => {
    const message = "marks a field writeOnly below the top level; only top-level properties can be secret";
    expect(
      configSchemaProblem({
        properties: { db: { type: "object", properties: { password: { type: "string", writeOnly: true } } } },
      }),
    ).toBe(message);
    expect(
      configSchemaProblem({ properties: { tokens: { type: "array", items: { type: "string", writeOnly: true } } } }),
    ).toBe(message);
  });

  it("does not let a secret reached through a $ref pass as a public field", () => {
    // Either the schema is refused, or the field is kept apart as a secret; never stored in the clear.
    const schema = {
      properties: { token: { $ref: "#/$defs/secret" } },
      $defs: { secret: { type: "string", writeOnly: true } },
    };
    expect(configSchemaProblem(schema) !== null || secretFields(schema).includes("token")).toBe(true);
  });

  it("reads keywords only where they are keywords, not inside defaults or as property names", () => {
    // A router plugin's default routes hold glob patterns, and a setting may be called "writeOnly".
    expect(
      configSchemaProblem({
        properties: {
          routes: { type: "array", default: [{ pattern: "*.example.com" }] },
          flags: { type: "object", properties: { writeOnly: { type: "boolean" } } },
        },
      }),
    ).toBeNull();
  });

  it("reads schemas as draft 2020-12", () => {
    expect(CONFIG_SCHEMA_DRAFT).toBe("2020-12");
  });
});

describe("the manifest's config field", () => {
  const manifest = (config: unknown) =>
    pluginManifestSchema.safeParse({ id: "p", name: "P", version: "1.0.0", category: "c", config });

  it("accepts a usable schema", () => {
    expect(manifest(usable).success).toBe(true);
  });

  it.each([
    ["a nested writeOnly", { properties: { db: { type: "object", properties: { pw: { writeOnly: true } } } } }],
    ["an unresolvable $ref", { $ref: "#/$defs/missing" }],
    ["an invalid pattern", { properties: { host: { type: "string", pattern: "(" } } }],
    ["a schema of something else than an object", { type: "string" }],
  ])("refuses %s, naming config", (_, config) => {
    const parsed = manifest(config);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path.join("."))).toEqual(["config"]);
  });
});

describe("configSchemaProblem, against schemas that would hide a secret or never finish", () => {
  it("refuses a $ref to a writeOnly field, which would copy the secret into a public one", () => {
    expect(
      configSchemaProblem({
        properties: { apiKey: { type: "string", writeOnly: true }, backupKey: { $ref: "#/properties/apiKey" } },
      }),
    ).toBe('$ref "#/properties/apiKey" points at a writeOnly field; only top-level properties can be secret');
  });

  it("refuses a $ref that leads back to itself, directly or through another", () => {
    expect(configSchemaProblem({ properties: { host: { $ref: "#/properties/host" } } })).toMatch(
      /refers back to itself/,
    );
    expect(
      configSchemaProblem({
        $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } },
        properties: { x: { $ref: "#/$defs/a" } },
      }),
    ).toMatch(/refers back to itself/);
  });

  it("accepts a recursive schema that descends before it repeats (a tree)", () => {
    expect(
      configSchemaProblem({
        $defs: {
          node: { type: "object", properties: { children: { type: "array", items: { $ref: "#/$defs/node" } } } },
        },
        properties: { tree: { $ref: "#/$defs/node" } },
      }),
    ).toBeNull();
  });
});

/** Milliseconds one validation took; the backtracking engine needed years for each case below. */
function timed(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

describe("configValidator, on the classic super-linear patterns and 10 KB of hostile input", () => {
  it.each(SUPER_LINEAR_PATTERNS)("checks pattern %s in well under a second", (pattern) => {
    const validator = configValidator({ type: "object", properties: { name: { type: "string", pattern } } });
    let valid = true;
    expect(timed(() => (valid = validator.validate({ name: HOSTILE_INPUT }).valid))).toBeLessThan(500);
    expect(valid).toBe(new RegExp(pattern, "u").test("aaaa!"));
  });

  it.each(SUPER_LINEAR_PATTERNS)(
    "checks property names against patternProperties %s in well under a second",
    (pattern) => {
      const validator = configValidator({ type: "object", patternProperties: { [pattern]: { type: "integer" } } });
      let valid = true;
      expect(timed(() => (valid = validator.validate({ [HOSTILE_INPUT]: "not an integer" }).valid))).toBeLessThan(500);
      // A name the pattern matched would fail on the string value.
      expect(valid).toBe(!new RegExp(pattern, "u").test("aaaa!"));
    },
  );

  it("keeps what a pattern means: matches and refusals as ECMAScript has them", () => {
    const validator = configValidator({
      type: "object",
      properties: {
        host: { type: "string", pattern: "^[a-z0-9.-]+$" },
        name: { type: "string", pattern: "^\\p{L}+$" },
      },
      patternProperties: { "^x-": { type: "string" } },
      additionalProperties: false,
    });
    expect(validator.validate({ host: "db.example", name: "Zoë", "x-note": "n" }).valid).toBe(true);
    expect(validator.validate({ host: "DB" }).valid).toBe(false);
    expect(validator.validate({ name: "Zoë1" }).valid).toBe(false);
    expect(validator.validate({ "x-note": 1 }).valid).toBe(false);
    expect(validator.validate({ other: "o" }).valid).toBe(false);
  });
});

/** Inputs of about 10 KB built to make a backtracking check of each format work hardest. */
function hostileInputs(): string[] {
  const prefixes = [
    "",
    "http://",
    "a:",
    "a://",
    "/",
    "//",
    "#/",
    "0",
    "0/",
    "P",
    "PT",
    '"',
    "a@",
    "{",
    "[",
    "a@[IPv6:",
    "2020-01-01T",
  ];
  const units = [
    "a",
    "1",
    ".",
    "-",
    ":",
    "/",
    "%41",
    "a.",
    "1.",
    "a-",
    ":a",
    "/a",
    "@",
    "~0",
    "{a}",
    "a:",
    "1Y",
    "T1H",
    "\\a",
    "::",
    "1:",
    "é-",
  ];
  return prefixes.flatMap((prefix) => units.map((unit) => `${prefix}${unit.repeat(Math.ceil(10_000 / unit.length))}!`));
}

describe("the formats the validator knows", () => {
  const allowed = Object.keys(format).filter((name) => !Object.hasOwn(SUPER_LINEAR_FORMATS, name));

  it("are all checked except the super-linear ones (a new format in an update must be looked at)", () => {
    expect(allowed).toEqual([
      "date",
      "time",
      "date-time",
      "duration",
      "uri",
      "uri-reference",
      "uri-template",
      "email",
      "hostname",
      "ipv4",
      "ipv6",
      "regex",
      "uuid",
      "json-pointer",
      "json-pointer-uri-fragment",
      "relative-json-pointer",
    ]);
  });

  it.each(allowed)("checks format %s on each 10 KB hostile input in under a second", (name) => {
    const validator = configValidator({ type: "object", properties: { value: { type: "string", format: name } } });
    const inputs = hostileInputs();
    const slowest = Math.max(...inputs.map((value) => timed(() => validator.validate({ value }))));
    expect(slowest).toBeLessThan(1_000);
  });

  it("refuses to run url, whose check takes exponential time, and says why", () => {
    const validator = configValidator({ type: "object", properties: { homepage: { type: "string", format: "url" } } });
    let refusal: string | null = null;
    const took = timed(() => {
      try {
        validator.validate({ homepage: `http://${"a".repeat(40)}!` });
      } catch (error) {
        refusal = linearTimeRefusal(error);
      }
    });
    expect(took).toBeLessThan(1_000);
    expect(refusal).toMatch(/^format "url" is not supported: its check takes exponential time/);
    expect(linearTimeRefusal(new Error("other"))).toBeNull();
  });
});

describe("configSchemaProblem, on patterns and formats that cannot run in linear time", () => {
  it.each(SUPER_LINEAR_PATTERNS)("accepts %s, which runs in linear time here", (pattern) => {
    expect(configSchemaProblem({ properties: { name: { type: "string", pattern } } })).toBeNull();
  });

  it("refuses lookaround, naming where the pattern is and what it is", () => {
    expect(configSchemaProblem({ properties: { host: { type: "string", pattern: "^(?!www\\.)[a-z.]+$" } } })).toBe(
      'properties.host.pattern "^(?!www\\.)[a-z.]+$" cannot run in linear time: lookaround (?!…) is not supported',
    );
  });

  it("refuses a backreference in patternProperties, in $defs and below items", () => {
    expect(configSchemaProblem({ patternProperties: { "^(a)\\1$": { type: "string" } } })).toBe(
      'patternProperties "^(a)\\1$" cannot run in linear time: backreferences (\\1) are not supported',
    );
    expect(configSchemaProblem({ $defs: { word: { pattern: "(?<=a)b" } } })).toMatch(
      /^\$defs\.word\.pattern "\(\?<=a\)b" cannot run in linear time/,
    );
    expect(
      configSchemaProblem({ properties: { tags: { type: "array", items: { type: "string", pattern: "a{2000}" } } } }),
    ).toMatch(/^properties\.tags\.items\.pattern "a\{2000\}" cannot run in linear time: a repetition/);
  });

  it("refuses a pattern too large to run cheaply", () => {
    expect(configSchemaProblem({ properties: { x: { type: "string", pattern: "(.*a){500}" } } })).toMatch(
      /^properties\.x\.pattern "\(\.\*a\)\{500\}" is too large to run in linear time/,
    );
  });

  it("refuses format url, naming where it is, and accepts the others", () => {
    expect(configSchemaProblem({ properties: { homepage: { type: "string", format: "url" } } })).toBe(
      `properties.homepage.format "url" is not supported: ${SUPER_LINEAR_FORMATS.url}`,
    );
    expect(configSchemaProblem({ properties: { homepage: { type: "string", format: "uri" } } })).toBeNull();
    expect(configSchemaProblem({ properties: { homepage: { type: "string", format: "x-unknown" } } })).toBeNull();
  });

  it("says so in the manifest's issue, under config", () => {
    const parsed = pluginManifestSchema.safeParse({
      id: "p",
      name: "P",
      version: "1.0.0",
      category: "c",
      config: { type: "object", properties: { host: { type: "string", pattern: "(?=a)" } } },
    });
    expect(parsed.error?.issues.map((issue) => [issue.path.join("."), issue.message])).toEqual([
      ["config", 'properties.host.pattern "(?=a)" cannot run in linear time: lookaround (?=…) is not supported'],
    ]);
  });
});
