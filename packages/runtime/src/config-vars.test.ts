import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  booleanVar,
  ConfigError,
  configReader,
  integerVar,
  listVar,
  optionalSecret,
  requiredSecret,
  textVar,
  urlVar,
} from "./config-vars";

/** What a var's schema makes of `value`: the parsed value, or the message after the var's name. */
function read(schema: z.ZodType<unknown>, value: unknown): unknown {
  const outcome = schema.safeParse(value);
  return outcome.success ? outcome.data : { refused: outcome.error.issues.map((issue) => issue.message).join("; ") };
}

describe("integerVar", () => {
  it.each([
    [undefined, 7],
    ["", 7],
    ["12", 12],
    [12, 12],
    ["9007199254740991", 9007199254740991],
  ])("reads %j as %j (default 7)", (value, expected) => {
    expect(read(integerVar(7), value)).toBe(expected);
  });

  it.each(["0", "-5", "1.5", "5x", " 12", "1e3", "0x10", "9007199254740993", "a day"])(
    "refuses %j, naming the rule and the value",
    (value) => {
      expect(read(integerVar(7), value)).toEqual({
        refused: `must be a positive integer, got ${JSON.stringify(value)}`,
      });
    },
  );

  it("takes 0 with orZero, and still refuses a negative number", () => {
    expect(read(integerVar(7, { orZero: true }), "0")).toBe(0);
    expect(read(integerVar(7, { orZero: true }), "-1")).toEqual({
      refused: 'must be 0 or a positive integer, got "-1"',
    });
  });

  it("quotes at most 100 characters of a refused value", () => {
    const refused = read(integerVar(7), "9".repeat(500)) as { refused: string };
    expect(refused.refused).toBe(`must be a positive integer, got "${"9".repeat(100)}"`);
  });
});

describe("booleanVar", () => {
  it.each([
    [undefined, true],
    ["", true],
    ["true", true],
    ["false", false],
    [false, false],
  ])("reads %j as %j (default true)", (value, expected) => {
    expect(read(booleanVar(true), value)).toBe(expected);
  });

  it.each(["no", "FALSE", "0", "yes"])("refuses %j", (value) => {
    expect(read(booleanVar(true), value)).toEqual({
      refused: `must be "true" or "false", got ${JSON.stringify(value)}`,
    });
  });
});

describe("listVar", () => {
  it("splits on commas and drops blanks", () => {
    expect(read(listVar(), " https://a.example , ,https://b.example,")).toEqual([
      "https://a.example",
      "https://b.example",
    ]);
    expect(read(listVar(), undefined)).toEqual([]);
    expect(read(listVar(), "")).toEqual([]);
  });

  it("refuses what is not text without quoting it (a list of secrets uses it)", () => {
    expect(read(listVar(), 42)).toEqual({ refused: "must be a comma-separated list" });
  });
});

describe("textVar and urlVar", () => {
  it("read unset and empty as undefined, and text as written", () => {
    expect(read(textVar(), "")).toBeUndefined();
    expect(read(textVar(), "plugin-platform")).toBe("plugin-platform");
    expect(read(urlVar(), undefined)).toBeUndefined();
    expect(read(urlVar(), "https://idp.example/jwks.json")).toBe("https://idp.example/jwks.json");
    expect(read(urlVar(), "http://127.0.0.1:8787")).toBe("http://127.0.0.1:8787");
  });

  it.each(["not a url", "idp.example/jwks.json", "ftp://idp.example/keys", "javascript:alert(1)"])(
    "urlVar refuses %j",
    (value) => {
      expect(read(urlVar(), value)).toEqual({
        refused: `must be an absolute http(s) URL, got ${JSON.stringify(value)}`,
      });
    },
  );
});

describe("secrets", () => {
  it("a required secret refuses unset and empty, saying only that it is not set", () => {
    expect(read(requiredSecret(), undefined)).toEqual({ refused: "is not set" });
    expect(read(requiredSecret(), "")).toEqual({ refused: "is not set" });
    expect(read(requiredSecret(), "s3cr3t")).toBe("s3cr3t");
  });

  it("an optional secret is undefined when unset or empty", () => {
    expect(read(optionalSecret(), "")).toBeUndefined();
    expect(read(optionalSecret(), "s3cr3t")).toBe("s3cr3t");
  });

  it("never quotes a secret's value", () => {
    for (const schema of [requiredSecret(), optionalSecret()]) {
      expect(JSON.stringify(read(schema, { value: "s3cr3t" }))).not.toContain("s3cr3t");
    }
  });
});

describe("configReader", () => {
  const schema = z.object({ MAX_FILES: integerVar(500), TOKEN: requiredSecret() });

  it("parses an env once and hands back the same result for it", () => {
    const readConfig = configReader(schema);
    const env = { MAX_FILES: "3", TOKEN: "t" };
    const first = readConfig(env);
    env.MAX_FILES = "4";
    expect(readConfig(env)).toBe(first);
    expect(first).toEqual({ MAX_FILES: 3, TOKEN: "t" });
    expect(readConfig({ TOKEN: "t" })).toEqual({ MAX_FILES: 500, TOKEN: "t" });
  });

  it("throws a ConfigError naming every bad var, the same one on every call", () => {
    const readConfig = configReader(schema);
    const env = { MAX_FILES: "5x" };
    let thrown: unknown;
    try {
      readConfig(env);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).message).toBe('MAX_FILES must be a positive integer, got "5x"; TOKEN is not set');
    expect(() => readConfig(env)).toThrow(thrown as ConfigError);
  });
});
