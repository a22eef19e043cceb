import { describe, expect, it } from "vitest";
import { problemsOf } from "./config-validator";

/** A form's schema: what is left of a config schema once its secrets are taken out. */
const VISIBLE = {
  type: "object",
  properties: {
    region: { type: "string", enum: ["eu", "us"] },
    retry: { type: "object", properties: { attempts: { type: "integer", minimum: 0 } } },
  },
  required: ["region"],
  additionalProperties: false,
} as const;

describe("the form's validator (the platform's, without eval)", () => {
  it("files each problem under its field, as RJSF shows them", () => {
    expect(
      problemsOf(structuredClone(VISIBLE) as never, { retry: { attempts: -1 }, other: 1 }).map((error) => [
        error.property,
        error.message,
      ]),
    ).toEqual([
      [".region", "is required"],
      [".retry.attempts", "-1 is less than 0."],
      [".", "other is not a setting of this plugin"],
    ]);
    expect(problemsOf(structuredClone(VISIBLE) as never, { region: "eu" })).toEqual([]);
  });

  it("runs patterns in linear time, and refuses one it cannot run so, as the server does", () => {
    expect(problemsOf({ type: "string", pattern: "^(a+)+$" }, `${"a".repeat(50_000)}!`)).toHaveLength(1);
    expect(problemsOf({ type: "string", pattern: "^(?=a)" }, "a")[0]?.message).toMatch(/cannot check it/);
  });
});
