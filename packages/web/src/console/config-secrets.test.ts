import { describe, expect, it } from "vitest";
import { configureConfig, splitConfigSchema } from "./config-secrets";

const SCHEMA = {
  type: "object",
  properties: {
    apiToken: { type: "string", writeOnly: true, minLength: 8, title: "API token" },
    pin: { type: "integer", writeOnly: true },
    region: { type: "string", enum: ["eu", "us"] },
    retry: { type: "object", properties: { attempts: { type: "integer", minimum: 0 } } },
  },
  required: ["apiToken", "region"],
  additionalProperties: false,
} as const;

describe("the configure form's secrets", () => {
  it("takes the writeOnly fields out of the schema the form renders, with whether each is set", () => {
    const { visible, secrets } = splitConfigSchema(structuredClone(SCHEMA) as never, ["apiToken"]);
    expect(Object.keys(visible.properties ?? {})).toEqual(["region", "retry"]);
    expect(visible.required).toEqual(["region"]);
    expect(secrets.map(({ name, title, required, set }) => ({ name, title, required, set }))).toEqual([
      { name: "apiToken", title: "API token", required: true, set: true },
      { name: "pin", title: "pin", required: false, set: false },
    ]);
  });

  it("sends a secret only when typed or removed: one left alone is left out, so the platform keeps it", () => {
    const { secrets } = splitConfigSchema(structuredClone(SCHEMA) as never, ["apiToken", "pin"]);
    expect(configureConfig({ region: "eu", apiToken: "stale" }, secrets, {})).toEqual({ region: "eu" });
    expect(
      configureConfig({ region: "eu" }, secrets, {
        apiToken: { kind: "set", value: "s3cret-value" },
        pin: { kind: "remove" },
      }),
    ).toEqual({ region: "eu", apiToken: "s3cret-value", pin: null });
    expect(configureConfig({}, secrets, { pin: { kind: "set", value: "1234" } })).toEqual({ pin: 1234 });
  });
});
