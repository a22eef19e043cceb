import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HOSTILE_INPUT, SUPER_LINEAR_PATTERNS } from "../../../test/super-linear-patterns";
import { linearPattern, MAX_PATTERN_INSTRUCTIONS, patternProblem } from "./linear-patterns";

/**
 * The classic super-linear patterns on the input V8's backtracking takes years on, plus two
 * variants: one that matches, and `(a|a)*b` without the final character.
 */
const SUPER_LINEAR: ReadonlyArray<readonly [string, string]> = [
  ...SUPER_LINEAR_PATTERNS.map((pattern) => [pattern, HOSTILE_INPUT] as const),
  ["(a|a)*b", "a".repeat(10_000)],
  ["(.*a){20}", "a".repeat(10_000)],
];

describe("linearPattern", () => {
  it.each(SUPER_LINEAR)("runs %s on 10 KB of hostile input in under a second", (pattern, input) => {
    const started = performance.now();
    const matched = linearPattern(pattern).test(input);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(matched).toBe(pattern === "(.*a){20}");
  });

  it("matches what ECMAScript matches, on the syntax the two read differently", () => {
    const cases: Array<[string, string, boolean]> = [
      [".", "\r", false],
      [".", "\u2028", false],
      ["^.$", "😀", true],
      ["a$", "a\n", false],
      ["^a", "\na", false],
      ["\\s", "\u00a0", true],
      ["\\s", "\ufeff", true],
      ["\\s", "\u000b", true],
      ["^\\S$", "\u3000", false],
      ["[^\\s]", "\u2029", false],
      ["[]", "a", false],
      ["^[^]$", "\n", true],
      ["^[\\]a]+$", "a]", true],
      ["^\\w$", "é", false],
      ["\\bé", "é", false],
      ["^\\u{1F600}$", "😀", true],
      ["^\\uD83D\\uDE00$", "😀", true],
      ["^\\x41\\cJ\\0$", "A\n\0", true],
      ["^[\\b]$", "\b", true],
      ["^\\p{Lu}+$", "ÉA", true],
      ["^\\p{Letter}+$", "éa", true],
      ["^\\p{Script=Greek}+$", "αβ", true],
      ["^\\p{Script=Greek}+$", "ab", false],
      ["^\\P{L}$", "1", true],
      ["^(?<name>a)b$", "ab", true],
      ["^[a-c-e]+$", "b-e", true],
      ["^\\/\\.\\*-?$", "/.*", true],
      ["^[\\-\\\\]+$", "-\\", true],
    ];
    for (const [pattern, input, expected] of cases) {
      expect([pattern, input, new RegExp(pattern, "u").test(input)]).toEqual([pattern, input, expected]);
      expect([pattern, input, linearPattern(pattern).test(input)]).toEqual([pattern, input, expected]);
    }
  });

  it("agrees with ECMAScript on generated patterns and inputs", () => {
    const literal = fc.constantFrom(
      "a",
      "b",
      "A",
      "1",
      "_",
      "-",
      " ",
      "é",
      "😀",
      "\\.",
      "\\*",
      "\\n",
      "\\u00e9",
      "\\u{1F600}",
      "\\x41",
    );
    const set = fc.constantFrom(
      ".",
      "\\d",
      "\\D",
      "\\w",
      "\\W",
      "\\s",
      "\\S",
      "[ab]",
      "[^a-c]",
      "[\\s\\d]",
      "[^\\S]",
      "[]",
      "[^]",
      "\\p{L}",
      "\\P{Lu}",
      "[-a]",
      "[a-]",
    );
    const assertion = fc.constantFrom("^", "$", "\\b");
    const quantifier = fc.constantFrom("*", "+", "?", "{0,2}", "{2}", "{1,}", "*?", "+?", "??");
    const { pattern } = fc.letrec<{ pattern: string; term: string }>((tie) => ({
      term: fc.oneof(
        { depthSize: "small" },
        literal,
        set,
        assertion,
        fc.tuple(fc.oneof(literal, set), quantifier).map(([atom, q]) => atom + q),
        fc
          .tuple(fc.constantFrom("(", "(?:"), tie("pattern"), fc.constantFrom("", "*", "+", "?", "{1,2}"))
          .map(([open, inner, q]) => `${open}${inner})${q}`),
      ),
      pattern: fc
        .array(
          fc.array(tie("term"), { minLength: 0, maxLength: 4 }).map((terms) => terms.join("")),
          {
            minLength: 1,
            maxLength: 3,
          },
        )
        .map((alternatives) => alternatives.join("|")),
    }));
    const input = fc
      .array(fc.constantFrom("a", "b", "A", "1", "_", "-", " ", "\n", "\r", "\u2028", "\u00a0", "é", "😀", ".", "*"), {
        maxLength: 8,
      })
      .map((chars) => chars.join(""));
    const valid = pattern.filter((source) => {
      try {
        new RegExp(source, "u");
        return true;
      } catch {
        return false;
      }
    });
    fc.assert(
      fc.property(valid, fc.array(input, { minLength: 1, maxLength: 5 }), (source, inputs) => {
        const linear = linearPattern(source);
        for (const text of inputs)
          expect([source, text, linear.test(text)]).toEqual([source, text, new RegExp(source, "u").test(text)]);
      }),
      { numRuns: 1000 },
    );
  }, 60_000);
});

describe("patternProblem", () => {
  it("accepts what RE2 runs with ECMAScript's meaning", () => {
    for (const pattern of ["^[a-z0-9.-]+$", "^https://\\S+$", "^\\p{L}+$", "(a|aa)+$", "^\\d{3}-\\d{4}$", "^$"]) {
      expect(patternProblem(pattern)).toBeNull();
    }
  });

  it.each([
    ["(?=a)a", /lookaround \(\?=…\) is not supported/],
    ["(?!a)b", /lookaround \(\?!…\)/],
    ["(?<=a)b", /lookaround \(\?<=…\)/],
    ["(?<!a)b", /lookaround \(\?<!…\)/],
    ["(a)\\1", /backreferences \(\\1\)/],
    ["(?<x>a)\\k<x>", /backreferences \(\\k<name>\)/],
    ["a{1001}", /a repetition \{1001\} counts past 1000/],
    ["\\uD83D", /lone surrogate/],
    ["\\p{C}", /the Unicode property \\p\{C\} is not supported/],
    ["\\p{ASCII_Hex_Digit}", /the Unicode property/],
    ["\\p{Script_Extensions=Greek}", /the Unicode property/],
    ["\\p{sc=Grek}", /RE2 refuses it/],
    ["(a", /is not a valid regular expression/],
    ["\\Z", /is not a valid regular expression/],
    ["a\\B", /\\B is not supported/],
  ])("refuses %s, saying why", (pattern, reason) => {
    expect(patternProblem(pattern)).toMatch(reason);
    expect(() => linearPattern(pattern)).toThrow(`pattern "${pattern}" ${patternProblem(pattern)}`);
  });

  it(`refuses a pattern that compiles to more than ${MAX_PATTERN_INSTRUCTIONS} instructions, which would make each character cost too much`, () => {
    expect(patternProblem("(.*a){100}")).toBeNull();
    expect(patternProblem("(.*a){1000}")).toMatch(
      /is too large to run in linear time: it compiles to \d+ instructions, at most 1000/,
    );
    expect(patternProblem("((a{10}){10}){10}")).toMatch(/too large/);
  });

  it("shortens a long pattern in its message", () => {
    expect(() => linearPattern(`(?=a)${"b".repeat(200)}`)).toThrow(
      /^pattern "\(\?=a\)b{75}…" cannot run in linear time/,
    );
  });
});
