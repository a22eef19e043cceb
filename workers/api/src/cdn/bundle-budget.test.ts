import { describe, expect, it } from "vitest";
import { BUNDLE_DOWNLOADS_PER_CALL, BundleBudget } from "./bundle-budget";

/** A rate-limiting binding that answers `success` and records the keys it was asked about. */
function limiter(success: boolean) {
  const keys: string[] = [];
  const limit = async ({ key }: { key: string }) => {
    keys.push(key);
    return { success };
  };
  return { keys, binding: { limit } };
}

describe("BundleBudget", () => {
  it("asks the binding once per BUNDLE_DOWNLOADS_PER_CALL downloads of a client", async () => {
    const budget = new BundleBudget();
    const { keys, binding } = limiter(true);
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 2 * BUNDLE_DOWNLOADS_PER_CALL + 1; i++)
      budget.count(binding, (p) => pending.push(p), "1.2.3.4");
    await Promise.all(pending);
    expect(keys).toEqual(["bundle:ip:1.2.3.4", "bundle:ip:1.2.3.4"]);
    expect(budget.refusal("1.2.3.4")).toBeNull();
  });

  it("refuses a client the binding found over budget until its window ends, and no one else", async () => {
    const budget = new BundleBudget();
    const { binding } = limiter(false);
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < BUNDLE_DOWNLOADS_PER_CALL; i++) budget.count(binding, (p) => pending.push(p), "1.2.3.4");
    await Promise.all(pending);
    const seconds = budget.refusal("1.2.3.4");
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(10);
    expect(budget.refusal("5.6.7.8")).toBeNull();
    expect(budget.refusal("1.2.3.4", Date.now() + 10_001)).toBeNull();
  });

  it("counts nothing without a binding", () => {
    const budget = new BundleBudget();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 3 * BUNDLE_DOWNLOADS_PER_CALL; i++) budget.count(undefined, (p) => pending.push(p), null);
    expect(pending).toEqual([]);
  });
});
