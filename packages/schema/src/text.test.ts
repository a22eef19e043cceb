import { describe, expect, it } from "vitest";
import { isStorableJson, nonFiniteNumberPath } from "./text";

describe("isStorableJson", () => {
  it.each([
    ["NaN", { a: Number.NaN }],
    ["Infinity, as 1e400 parses", JSON.parse('{"maximum":1e400}')],
    ["-Infinity in an array", [1, [-Infinity]]],
    ["a NUL", { a: "\0" }],
    ["an unpaired surrogate", ["\ud800"]],
  ])("refuses %s", (_, value) => {
    expect(isStorableJson(value)).toBe(false);
  });

  it("keeps finite numbers, large and small, and paired surrogates", () => {
    expect(isStorableJson({ a: 1e308, b: -5e-324, c: 0, d: "😀" })).toBe(true);
  });
});

describe("nonFiniteNumberPath", () => {
  it("names where the first one sits, in document order", () => {
    const value = JSON.parse('{"a":{"b":[1,1e400]},"c":-1e400}');
    expect(nonFiniteNumberPath(value)).toEqual(["a", "b", 1]);
    expect(nonFiniteNumberPath({ a: [1, { b: 2 }] })).toBeNull();
  });
});
