import { describe, expect, it } from "vitest";
import { instanceConfigSchema } from "./installations";
import { isTooDeepInput, isTooDeepJson, MAX_JSON_DEPTH, nestsDeeperThan } from "./json-depth";
import { pluginManifestJsonSchema } from "./manifest";

/** `depth` nested arrays, parsed from text so that building them recurses nowhere. */
function nestedArrays(depth: number): unknown {
  return JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`);
}

describe("nestsDeeperThan", () => {
  it.each([
    [1, 0],
    ["text", 0],
    [null, 0],
    [{}, 1],
    [[], 1],
    [{ a: [1] }, 2],
    [{ a: { b: { c: {} } }, d: [] }, 4],
    [[[], [[[]]], {}], 4],
  ])("measures %j as %i levels", (value, depth) => {
    expect(nestsDeeperThan(value, depth)).toBe(false);
    if (depth > 0) expect(nestsDeeperThan(value, depth - 1)).toBe(true);
  });

  it("measures 200,000 levels without recursing (no stack overflow)", () => {
    const deep = nestedArrays(200_000);
    expect(nestsDeeperThan(deep, MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(deep, 200_000)).toBe(false);
  });

  it("finds a deep branch beside wide shallow ones", () => {
    const wide = Array.from({ length: 10_000 }, (_, index) => ({ index }));
    expect(nestsDeeperThan({ wide, deep: nestedArrays(40) }, MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan({ wide, deep: nestedArrays(30) }, MAX_JSON_DEPTH)).toBe(false);
  });

  it("counts what is not JSON (a FormData, a File, a Date) as a leaf", () => {
    const form = new FormData();
    form.set("file", new File(["x"], "plugin.js"));
    expect(nestsDeeperThan([form, new Date(0), form.get("file")], 1)).toBe(false);
  });
});

describe("the limit of 32 levels", () => {
  it("holds for a field's value, and for an input one level more, which carries the fields", () => {
    expect(isTooDeepJson(nestedArrays(32))).toBe(false);
    expect(isTooDeepJson(nestedArrays(33))).toBe(true);
    expect(isTooDeepInput({ config: nestedArrays(32) })).toBe(false);
    expect(isTooDeepInput({ config: nestedArrays(33) })).toBe(true);
  });

  it("refuses a deep instance config by its depth alone, before the checks that serialize it", () => {
    const refused = instanceConfigSchema.safeParse({ x: nestedArrays(100_000) });
    expect(refused.error?.issues.map((issue) => issue.message)).toEqual([
      "nests deeper than 32 levels of arrays and objects, the limit",
    ]);
    expect(instanceConfigSchema.safeParse({ x: nestedArrays(31) }).success).toBe(true);
  });

  it("refuses a deep manifest before the checks that clone and serialize its config schema", () => {
    const deep = `{"id":"a","name":"A","version":"1.0.0","category":"ui","config":{"default":${"[".repeat(20_000)}${"]".repeat(20_000)}}}`;
    const refused = pluginManifestJsonSchema.safeParse(deep);
    expect(refused.error?.issues.map((issue) => issue.message)).toEqual([
      "a field nests deeper than 32 levels of arrays and objects, the limit",
    ]);
  });
});
