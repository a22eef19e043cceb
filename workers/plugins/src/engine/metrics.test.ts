import { describe, expect, it } from "vitest";
import { healthOf, percentile } from "./metrics";

describe("percentile", () => {
  it("takes the nearest rank of sorted values", () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([1, 2], 0.5)).toBe(1);
  });
});

describe("healthOf", () => {
  it("is idle without calls, healthy without failures, failing from half of them failed", () => {
    expect(healthOf([])).toBe("idle");
    expect(healthOf([{ requests: 10, errors: 0 }])).toBe("healthy");
    expect(healthOf([{ requests: 10, errors: 1 }])).toBe("degraded");
    expect(
      healthOf([
        { requests: 6, errors: 2 },
        { requests: 4, errors: 3 },
      ]),
    ).toBe("failing");
  });
});
