import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_JWT_SECRET } from "../scripts/local-stack/dev-token";
import { mintCast } from "./cast";
import { expectError, install, trpc, trpcError, UUID } from "./helpers";
import { type Stack, startStack } from "./stack";

// How a worker with a var or secret readConfig refuses answers (README, "Configuration").

describe("an API worker with a bad var and a missing secret", () => {
  const MESSAGE =
    'Server misconfigured: INTERNAL_TOKEN_SECRET is not set; MAX_UPLOAD_BYTES must be a positive integer, got "5x"';
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ apiBindings: { MAX_UPLOAD_BYTES: "5x", INTERNAL_TOKEN_SECRET: "" } });
  });
  afterAll(() => stack?.stop());

  it.each(["/", "/health", "/api/plugins/some-plugin", "/plugins/bundles/some-plugin/v1.0.0/index.js"])(
    "answers GET %s 500 naming both vars, not their secret values, and uncacheable",
    async (path) => {
      const response = await fetch(`${stack.url}${path}`);
      const text = await response.clone().text();
      expect(await expectError(response, 500, "INTERNAL_SERVER_ERROR")).toBe(MESSAGE);
      expect(JSON.parse(text).error.requestId).toMatch(UUID);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(text).not.toContain(DEV_JWT_SECRET);
    },
  );

  it("answers a tRPC call in tRPC's shape with the same message", async () => {
    const error = await trpcError(trpc(stack).plugins.get.query({ pluginId: "some-plugin" }));
    expect(error.message).toBe(MESSAGE);
    expect(error.data).toMatchObject({ code: "INTERNAL_SERVER_ERROR", httpStatus: 500 });
  });
});

describe("a plugins worker with a bad var", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ pluginsBindings: { MAX_FILES: "5x" } });
  });
  afterAll(() => stack?.stop());

  it("is an outage to the gateway: /health names plugins failing (503)", async () => {
    const response = await fetch(`${stack.url}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "failing", parts: { api: "ok", plugins: "failing" } });
  });

  it("refuses an install 503 and writes nothing", async () => {
    const token = (await mintCast(stack)).alice;
    const before = await stack.snapshot();
    const response = await install(stack, token, "acme", { pluginId: "anything" });
    expect(await expectError(response, 503, "SERVICE_UNAVAILABLE")).toBe("The plugin registry is unavailable");
    expect(await stack.snapshot()).toEqual(before);
  });
});
