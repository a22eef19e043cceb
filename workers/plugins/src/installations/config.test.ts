import { describe, expect, it } from "vitest";
import { fanOutSchema, manyPatternsSchema } from "../../../../test/costly-config-schemas";
import { HOSTILE_INPUT, SUPER_LINEAR_PATTERNS } from "../../../../test/super-linear-patterns";
import { carriedConfig, checkConfig, mergeSecrets, splitSecrets } from "./config";

/** A plugin's config schema as a publisher writes one: a required secret, defaults, an enum, a nested object. */
const schema = {
  type: "object",
  properties: {
    apiToken: { type: "string", writeOnly: true, minLength: 1 },
    webhookSecret: { type: "string", writeOnly: true },
    port: { type: "integer", minimum: 1, maximum: 65535, default: 8080 },
    region: { enum: ["eu", "us"] },
    retry: {
      type: "object",
      properties: { attempts: { type: "integer", minimum: 0, default: 3 } },
      additionalProperties: false,
      default: {},
    },
  },
  required: ["apiToken"],
  additionalProperties: false,
};

function problems(check: ReturnType<typeof checkConfig>): string[] {
  if (check.ok) throw new Error(`expected the config to be refused, it passed as ${JSON.stringify(check.config)}`);
  return check.problems;
}

describe("checkConfig", () => {
  it("fills in defaults, nested ones too, and keeps the secrets in the checked config", () => {
    expect(checkConfig(schema, { apiToken: "t0ken" })).toEqual({
      ok: true,
      config: { apiToken: "t0ken", port: 8080, retry: { attempts: 3 } },
    });
  });

  it("fills a nested default into an object the caller gave without it", () => {
    expect(checkConfig(schema, { apiToken: "t", retry: {} })).toEqual({
      ok: true,
      config: { apiToken: "t", port: 8080, retry: { attempts: 3 } },
    });
  });

  it("never overwrites a value the caller gave, even a falsy one", () => {
    expect(checkConfig(schema, { apiToken: "t", port: 443, region: "us", retry: { attempts: 0 } })).toEqual({
      ok: true,
      config: { apiToken: "t", port: 443, region: "us", retry: { attempts: 0 } },
    });
  });

  it("does not change the config it was given, nor the schema's defaults", () => {
    const sent = { apiToken: "t" };
    const checked = checkConfig(schema, sent);
    expect(sent).toEqual({ apiToken: "t" });
    if (!checked.ok) throw new Error("expected a valid config");
    (checked.config.retry as Record<string, unknown>).attempts = 99;
    expect(schema.properties.retry.default).toEqual({});
    expect(checkConfig(schema, { apiToken: "t" })).toMatchObject({ config: { retry: { attempts: 3 } } });
  });

  it("names every field that is wrong, each once", () => {
    const found = problems(
      checkConfig(schema, { port: 0, region: "mars", extra: true, retry: { attempts: "three", jitter: 1 } }),
    );
    expect(found).toHaveLength(new Set(found).size);
    expect(found).toEqual(
      expect.arrayContaining([
        "config.apiToken: is required",
        expect.stringMatching(/^config\.port: /),
        expect.stringMatching(/^config\.region: /),
        expect.stringMatching(/^config\.retry\.attempts: /),
        "config.retry.jitter: is not a setting of this plugin",
        "config.extra: is not a setting of this plugin",
      ]),
    );
    expect(found).toHaveLength(6);
  });

  it.each([
    ["a port below the range", { port: 0 }, /^config\.port: /],
    ["a port above the range", { port: 65536 }, /^config\.port: /],
    ["a port that is not an integer", { port: 80.5 }, /^config\.port: /],
    ["a port sent as text (no coercion)", { port: "8080" }, /^config\.port: /],
    ["a region outside the enum", { region: "mars" }, /^config\.region: /],
    ["an empty secret", { apiToken: "" }, /^config\.apiToken: /],
    ["a secret that is not text", { apiToken: 42 }, /^config\.apiToken: /],
    ["a nested field of the wrong type", { retry: { attempts: -1 } }, /^config\.retry\.attempts: /],
    ["a nested object of the wrong type", { retry: 3 }, /^config\.retry: /],
  ])("refuses %s, naming the field only", (_, change, pattern) => {
    const found = problems(checkConfig(schema, { apiToken: "t", ...change }));
    expect(found).toEqual([expect.stringMatching(pattern)]);
  });

  it("refuses null for a field, since null is a value the schema does not allow", () => {
    expect(problems(checkConfig(schema, { apiToken: "t", port: null }))).toEqual([
      expect.stringMatching(/^config\.port: /),
    ]);
  });

  it("names a missing required field below the top level by its path", () => {
    const nested = {
      type: "object",
      properties: {
        database: { type: "object", properties: { host: { type: "string" } }, required: ["host"] },
      },
    };
    expect(problems(checkConfig(nested, { database: {} }))).toEqual(["config.database.host: is required"]);
  });

  it("names items of arrays by their index", () => {
    const servers = {
      type: "object",
      properties: {
        servers: { type: "array", items: { type: "object", properties: { url: { type: "string" } } } },
      },
    };
    expect(problems(checkConfig(servers, { servers: [{ url: "a" }, { url: 5 }] }))).toEqual([
      expect.stringMatching(/^config\.servers\[1\]\.url: /),
    ]);
  });

  it("writes field names with /, ~, % and spaces as they are, not JSON-pointer or URI escaped", () => {
    const odd = {
      type: "object",
      properties: { "a/b": { type: "integer" }, "c~d": { type: "integer" }, "100%": { type: "integer" } },
      additionalProperties: false,
    };
    const found = problems(checkConfig(odd, { "a/b": "x", "c~d": "x", "100%": "x", "e f": 1 }));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^config\.a\/b: /),
        expect.stringMatching(/^config\.c~d: /),
        expect.stringMatching(/^config\.100%: /),
        "config.e f: is not a setting of this plugin",
      ]),
    );
    expect(found).toHaveLength(4);
  });

  it("reports properties left unevaluated like additional ones", () => {
    const closed = { type: "object", properties: { a: { type: "string" } }, unevaluatedProperties: false };
    expect(problems(checkConfig(closed, { a: "x", b: 1 }))).toEqual(["config.b: is not a setting of this plugin"]);
  });

  it("reads the schema as draft 2020-12 (prefixItems)", () => {
    const tuple = {
      type: "object",
      properties: { pair: { type: "array", prefixItems: [{ type: "string" }, { type: "integer" }] } },
    };
    expect(checkConfig(tuple, { pair: ["a", 1] }).ok).toBe(true);
    expect(problems(checkConfig(tuple, { pair: ["a", "b"] }))).toEqual([expect.stringMatching(/^config\.pair\[1\]: /)]);
  });

  it("accepts an empty config against a schema without required fields, with its defaults", () => {
    expect(checkConfig({ type: "object", properties: { n: { type: "integer", default: 1 } } }, {})).toEqual({
      ok: true,
      config: { n: 1 },
    });
  });

  describe("for a plugin without a config schema", () => {
    it("accepts an empty config", () => {
      expect(checkConfig(undefined, {})).toEqual({ ok: true, config: {} });
    });

    it("refuses every field, naming each", () => {
      expect(problems(checkConfig(undefined, { a: 1, b: null }))).toEqual([
        "config.a: this plugin takes no configuration",
        "config.b: this plugin takes no configuration",
      ]);
    });
  });
});

describe("splitSecrets", () => {
  it("keeps the top-level writeOnly fields apart from the rest", () => {
    expect(
      splitSecrets(schema, { apiToken: "t", webhookSecret: "w", port: 8080, retry: { attempts: 3 }, region: "eu" }),
    ).toEqual({
      visible: { port: 8080, retry: { attempts: 3 }, region: "eu" },
      secrets: { apiToken: "t", webhookSecret: "w" },
    });
  });

  it("returns no secrets for a config without them, and everything visible without a schema", () => {
    expect(splitSecrets(schema, { port: 1 })).toEqual({ visible: { port: 1 }, secrets: {} });
    expect(splitSecrets(undefined, { apiToken: "t" })).toEqual({ visible: { apiToken: "t" }, secrets: {} });
  });

  it("does not treat writeOnly: false as secret", () => {
    const notSecret = { type: "object", properties: { name: { type: "string", writeOnly: false } } };
    expect(splitSecrets(notSecret, { name: "n" })).toEqual({ visible: { name: "n" }, secrets: {} });
  });
});

describe("mergeSecrets", () => {
  const stored = { apiToken: "stored-token", webhookSecret: "stored-hook" };

  it("keeps a stored secret the client left out", () => {
    expect(mergeSecrets(schema, { port: 1 }, stored)).toEqual({
      port: 1,
      apiToken: "stored-token",
      webhookSecret: "stored-hook",
    });
  });

  it("replaces a stored secret the client sent anew", () => {
    expect(mergeSecrets(schema, { apiToken: "new" }, stored)).toEqual({
      apiToken: "new",
      webhookSecret: "stored-hook",
    });
  });

  it("removes a secret sent as null", () => {
    expect(mergeSecrets(schema, { webhookSecret: null }, stored)).toEqual({ apiToken: "stored-token" });
    expect(mergeSecrets(schema, { apiToken: null, webhookSecret: null }, stored)).toEqual({});
  });

  it("drops a null secret that was never stored", () => {
    expect(mergeSecrets(schema, { webhookSecret: null }, {})).toEqual({});
  });

  it("leaves null in a public field for the schema to judge", () => {
    expect(mergeSecrets(schema, { port: null }, {})).toEqual({ port: null });
  });

  it("never brings back a stored value for a field that is not a secret of the schema", () => {
    expect(mergeSecrets(schema, {}, { port: 9, apiToken: "t" })).toEqual({ apiToken: "t" });
    expect(mergeSecrets(undefined, {}, stored)).toEqual({});
  });

  it("does not change what it was given", () => {
    const sent = { webhookSecret: null };
    const kept = { ...stored };
    mergeSecrets(schema, sent, kept);
    expect(sent).toEqual({ webhookSecret: null });
    expect(kept).toEqual(stored);
  });

  it("merged with the stored secrets, a config without them passes a schema that requires them", () => {
    expect(checkConfig(schema, mergeSecrets(schema, { port: 2 }, stored)).ok).toBe(true);
    expect(problems(checkConfig(schema, mergeSecrets(schema, { apiToken: null }, stored)))).toEqual([
      "config.apiToken: is required",
    ]);
  });
});

describe("carriedConfig", () => {
  const from = { type: "object", properties: { host: { type: "string" }, timeout: { type: "integer", default: 30 } } };
  const to = { type: "object", properties: { host: { type: "string" } }, additionalProperties: false };

  it("leaves behind a field the target does not declare when it holds the current version's default", () => {
    expect(carriedConfig(from, to, { host: "h", timeout: 30 })).toEqual({ host: "h" });
  });

  it("carries a value someone set, so the target's schema can refuse it", () => {
    expect(carriedConfig(from, to, { host: "h", timeout: 5 })).toEqual({ host: "h", timeout: 5 });
  });

  it("carries every field the target declares, defaults included", () => {
    expect(carriedConfig(from, from, { host: "h", timeout: 30 })).toEqual({ host: "h", timeout: 30 });
  });

  it("compares structured defaults by value", () => {
    const withList = { properties: { tags: { type: "array", default: ["a", { b: 1 }] } } };
    expect(carriedConfig(withList, to, { tags: ["a", { b: 1 }] })).toEqual({});
    expect(carriedConfig(withList, to, { tags: ["a", { b: 2 }] })).toEqual({ tags: ["a", { b: 2 }] });
  });

  it("carries everything when the current version has no schema", () => {
    expect(carriedConfig(undefined, to, { x: 1 })).toEqual({ x: 1 });
  });
});

describe("checkConfig, against what it must not do", () => {
  it("answers a schema the validator cannot finish with as a problem, not a throw", () => {
    const looping = { type: "object", properties: { host: { $ref: "#/properties/host" } } };
    expect(checkConfig(looping, { host: "h" })).toEqual({
      ok: false,
      problems: ["config: this version's config schema cannot check it"],
    });
  });

  it("never quotes a secret field's value in a problem", () => {
    const withPin = { type: "object", properties: { pin: { type: "integer", maximum: 9999, writeOnly: true } } };
    const checked = checkConfig(withPin, { pin: 123456 });
    expect(checked).toEqual({ ok: false, problems: ["config.pin: does not match the schema"] });
    expect(JSON.stringify(checked)).not.toContain("123456");
  });

  it("still explains a public field's problem", () => {
    const withPort = { type: "object", properties: { port: { type: "integer", maximum: 9999 } } };
    const checked = checkConfig(withPort, { port: 123456 });
    expect(checked.ok).toBe(false);
    expect(JSON.stringify(checked)).toContain("123456");
  });
});

describe("checkConfig, on patterns that backtracking would take years on", () => {
  it.each(SUPER_LINEAR_PATTERNS)(
    "refuses a 10 KB default that %s does not match, in well under a second",
    (pattern) => {
      const started = performance.now();
      const check = checkConfig(
        { type: "object", properties: { name: { type: "string", pattern, default: HOSTILE_INPUT } } },
        {},
      );
      expect(performance.now() - started).toBeLessThan(500);
      expect(problems(check)).toEqual(["config.name: String does not match pattern."]);
    },
  );

  it("refuses, naming why, a config for a version stored before its pattern had to run in linear time", () => {
    const schema = { type: "object", properties: { host: { type: "string", pattern: "^(?!www)[a-z]+$" } } };
    expect(checkConfig(schema, { host: "example" })).toEqual({
      ok: false,
      problems: [
        `config: this version's config schema cannot check it: pattern "^(?!www)[a-z]+$" cannot run in linear time: lookaround (?!…) is not supported`,
      ],
    });
  });

  it("refuses, naming why, a config whose field has the super-linear format url", () => {
    const schema = { type: "object", properties: { homepage: { type: "string", format: "url" } } };
    const started = performance.now();
    const check = checkConfig(schema, { homepage: `http://${"a".repeat(10_000)}!` });
    expect(performance.now() - started).toBeLessThan(500);
    expect(problems(check)).toEqual([
      expect.stringMatching(/^config: this version's config schema cannot check it: format "url" is not supported/),
    ]);
  });
});

describe("checkConfig, on a version whose schema is too costly to check (stored before the publish limits)", () => {
  it.each([
    ["the $ref/allOf fan-out", fanOutSchema()],
    ["550 patterns on a 40 KB default", manyPatternsSchema()],
  ])("refuses an empty config for %s promptly, saying the schema is the problem", (_, schema) => {
    const started = performance.now();
    const check = checkConfig(schema, {});
    // The step budget is the guarantee; this bound (far below the minutes these took unbudgeted)
    // only catches a budget that stopped working, with room for a loaded CI machine (1.6 s seen).
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(check).toEqual({
      ok: false,
      problems: [
        "config: this version's config schema is too costly to check: its evaluation passed the budget of 10000000 steps",
      ],
    });
  });
});
