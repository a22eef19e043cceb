import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, tokenTimeProblem } from "./token-lifetime";

const NOW = 1_800_000_000;
const DAY = 86_400;

describe("DEFAULT_MAX_TOKEN_LIFETIME_SECONDS (JWT_MAX_LIFETIME_SECONDS unset: see config.test.ts)", () => {
  it("is 24 h", () => {
    expect(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS).toBe(DAY);
  });
});

describe("tokenTimeProblem", () => {
  it.each([
    ["a 12 h token", { iat: NOW, exp: NOW + DAY / 2 }],
    ["a token of exactly the maximum", { iat: NOW, exp: NOW + DAY }],
    ["an old 24 h token about to expire", { iat: NOW - DAY + 60, exp: NOW + 60 }],
    ["a token issued 30 s ahead (the skew)", { iat: NOW + 30, exp: NOW + 3600 }],
    ["a token without iat expiring within the maximum and the skew", { exp: NOW + DAY + 30 }],
  ])("accepts %s", (_, times) => {
    expect(tokenTimeProblem(times, DAY, NOW)).toBeNull();
  });

  it.each([
    [
      "a 100-year token",
      { iat: NOW, exp: NOW + 100 * 365 * DAY },
      "lives 3153600000 s (exp − iat), longer than the 86400 s",
    ],
    ["a token one second over", { iat: NOW, exp: NOW + DAY + 1 }, "lives 86401 s"],
    ["a token issued 31 s ahead", { iat: NOW + 31, exp: NOW + 3600 }, "issued 31 s in the future (iat)"],
    ["a token issued a month ahead", { iat: NOW + 30 * DAY, exp: NOW + 30 * DAY + 60 }, "in the future"],
    ["a token without iat expiring in 25 h", { exp: NOW + 25 * 3600 }, "expires in 90000 s, longer than the 86400 s"],
  ])("refuses %s, saying why", (_, times, reason) => {
    expect(tokenTimeProblem(times, DAY, NOW)).toContain(reason);
  });

  it("measures against the configured maximum", () => {
    expect(tokenTimeProblem({ iat: NOW, exp: NOW + 7200 }, 3600, NOW)).toContain("longer than the 3600 s");
    expect(tokenTimeProblem({ iat: NOW, exp: NOW + 3600 }, 3600, NOW)).toBeNull();
  });
});
