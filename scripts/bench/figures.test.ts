import { describe, expect, it } from "vitest";
import { type Comparison, comparisonTable, medianFigure, missed, ratioOf } from "./figures";

const figure = (rps: number, p50 = 2, p99 = 20) => ({ rps, p50, p99 });

describe("medianFigure", () => {
  it("takes the median of each figure separately, the mean of the middle two for an even count", () => {
    expect(medianFigure([figure(300, 3, 9), figure(100, 1, 30), figure(200, 2, 10)])).toEqual(figure(200, 2, 10));
    expect(medianFigure([figure(100, 1, 10), figure(200, 4, 20)])).toEqual(figure(150, 2.5, 15));
  });
});

describe("ratio and target", () => {
  const comparison = (subject: number, baseline: number, target?: number): Comparison => ({
    name: "r",
    subject: figure(subject),
    baselineName: "b",
    baseline: figure(baseline),
    target,
  });

  it("is met at the target exactly and missed below it", () => {
    expect(ratioOf(comparison(900, 1000, 0.9))).toBeCloseTo(0.9);
    expect(missed(comparison(900, 1000, 0.9))).toBe(false);
    expect(missed(comparison(899, 1000, 0.9))).toBe(true);
    expect(missed(comparison(3000, 1000, 3))).toBe(false);
  });

  it("never counts one without a target, or against a baseline that answered nothing, as missed", () => {
    expect(ratioOf(comparison(100, 0, 0.9))).toBeNull();
    expect(missed(comparison(100, 0, 0.9))).toBe(false);
    expect(missed(comparison(1, 1000))).toBe(false);
  });

  it("prints one row per comparison: figures, ratio, target with its verdict", () => {
    const table = comparisonTable("request", "baseline", [
      { ...comparison(850, 1000, 0.85), name: "warm immutable GET", baselineName: "memory" },
      { ...comparison(100, 1000, 0.9), name: "tenant manifest GET", baselineName: "two-worker JSON" },
      { ...comparison(100, 0, 0.9), name: "package document", baselineName: "two-worker JSON" },
    ]);
    expect(table.split("\n")).toEqual([
      "| request | req/s | p50 / p99 ms | baseline | req/s | p50 / p99 ms | ratio | target |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      "| warm immutable GET | 850 | 2 / 20 | memory | 1000 | 2 / 20 | 0.85 | ≥ 0.85 ok |",
      "| tenant manifest GET | 100 | 2 / 20 | two-worker JSON | 1000 | 2 / 20 | 0.10 | ≥ 0.90 MISSED |",
      "| package document | 100 | 2 / 20 | two-worker JSON | 0 | 2 / 20 |  | ≥ 0.90 |",
    ]);
  });
});
