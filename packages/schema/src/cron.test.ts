import { describe, expect, it } from "vitest";
import { cronProblem, nextRunAfter } from "./cron";

describe("cronProblem", () => {
  it.each(["* * * * *", "*/15 * * * *", "0 3 * * MON-FRI", "30 2 1,15 * *", "0 0 29 2 *", "  5  4 * * *  "])(
    "accepts the five-field expression %j",
    (expression) => {
      expect(cronProblem(expression)).toBeNull();
    },
  );

  it.each([
    ["* * * * * *", /^must have 5 fields .*not 6; seconds are not supported$/],
    ["*/30 * * * * *", /^must have 5 fields .*not 6/],
    ["0 0 1 1 * 2030", /^must have 5 fields .*not 6/],
    ["* * * *", /^must have 5 fields .*not 4/],
    ["@hourly", /^must have 5 fields .*not 1/],
    ["", /^must have 5 fields .*not 1/],
    ["60 * * * *", /^is not a valid cron expression: .*minute/],
    ["*/0 * * * *", /^is not a valid cron expression: .*stepping/],
    ["a b c d e", /^is not a valid cron expression: .*illegal characters/],
    ["0 0 31 2 *", /^never runs/],
    ["0 0 30 2 *", /^never runs/],
  ])("refuses %j", (expression, problem) => {
    expect(cronProblem(expression)).toMatch(problem);
  });
});

describe("nextRunAfter", () => {
  const noon = new Date("2026-12-01T12:00:00.000Z");

  it("answers the next whole minute strictly after the given time, in UTC", () => {
    expect(nextRunAfter("* * * * *", noon)).toEqual(new Date("2026-12-01T12:01:00.000Z"));
    expect(nextRunAfter("* * * * *", new Date("2026-12-01T12:00:59.999Z"))).toEqual(
      new Date("2026-12-01T12:01:00.000Z"),
    );
    expect(nextRunAfter("* * * * *", new Date("2026-12-01T11:59:59.999Z"))).toEqual(noon);
  });

  it("follows steps, hours, weekdays and month days", () => {
    expect(nextRunAfter("*/15 * * * *", new Date("2026-12-01T12:14:00.000Z"))).toEqual(
      new Date("2026-12-01T12:15:00.000Z"),
    );
    expect(nextRunAfter("30 2 * * *", noon)).toEqual(new Date("2026-12-02T02:30:00.000Z"));
    // 2026-12-01 is a Tuesday.
    expect(nextRunAfter("0 9 * * MON", noon)).toEqual(new Date("2026-12-07T09:00:00.000Z"));
    expect(nextRunAfter("0 0 29 2 *", noon)).toEqual(new Date("2028-02-29T00:00:00.000Z"));
  });

  it("answers null when no run is left", () => {
    expect(nextRunAfter("0 0 * * *", new Date("9999-12-31T12:00:00.000Z"))).toBeNull();
  });

  it("throws on an expression that is not five-field cron", () => {
    expect(() => nextRunAfter("* * * * * *", noon)).toThrow(/must have 5 fields/);
    expect(() => nextRunAfter("61 * * * *", noon)).toThrow(/not a valid cron expression/);
  });
});
