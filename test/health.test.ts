import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintCast } from "./cast";
import { closedPort, expectError, install, trpc, UUID } from "./helpers";
import { type Stack, startStack } from "./stack";

/** `GET /`: what a newcomer opening the origin sees. */
async function index(stack: Stack) {
  const response = await fetch(`${stack.url}/`);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("x-request-id")).toMatch(UUID);
  return { status: response.status, body: (await response.json()) as { links: Record<string, string> } };
}

const INDEX = {
  name: "@plugins/api",
  version: "0.0.0",
  description: "Plugin registry and bundle CDN",
  links: { health: "/health", trpc: "/trpc", keys: "/api/keys", bundles: "/plugins/bundles/{pluginId}@{ref}" },
  docs: "README.md of the repository: HTTP surface (API worker), tRPC for frontends",
};

async function health(stack: Stack) {
  const response = await fetch(`${stack.url}/health`);
  expect(response.headers.get("x-request-id")).toMatch(UUID);
  expect(response.headers.get("cache-control")).toBe("no-store");
  return { status: response.status, body: await response.json() };
}

describe("a healthy stack", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it("answers /health 200 with every part ok and nothing failing", async () => {
    expect(await health(stack)).toEqual({
      status: 200,
      body: { status: "ok", parts: { api: "ok", plugins: "ok", postgres: "ok", r2: "ok" }, failing: [] },
    });
  });

  it("answers GET / with an index: name, version and links that lead somewhere", async () => {
    const { status, body } = await index(stack);
    expect({ status, body }).toEqual({ status: 200, body: INDEX });
    expect((await fetch(`${stack.url}${body.links.health}`)).status).toBe(200);
    expect((await fetch(`${stack.url}${body.links.trpc}/health.check`)).status).toBe(200);
    expect((await fetch(`${stack.url}${body.links.keys}`)).status).toBe(200);
  });

  it("answers health.check over tRPC to any caller, guests included", async () => {
    expect(await trpc(stack).health.check.query()).toEqual({ postgres: "ok", r2: "ok" });
  });
});

describe("a stack whose Postgres is unreachable", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ databaseUrl: `postgres://postgres:postgres@127.0.0.1:${await closedPort()}/x` });
  });
  afterAll(() => stack?.stop());

  it("answers /health 503 naming postgres as the only failing part, within the probe timeout", async () => {
    const started = Date.now();
    expect(await health(stack)).toEqual({
      status: 503,
      body: {
        status: "failing",
        parts: { api: "ok", plugins: "ok", postgres: "failing", r2: "ok" },
        failing: ["postgres"],
      },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("still serves no bundle it does not have, as 404 rather than an outage", async () => {
    const response = await fetch(`${stack.url}/plugins/bundles/some-plugin/v1.0.0/bundle.js`);
    expect(response.status).toBe(404);
  });
});

describe("a stack whose workers disagree on the internal secret", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ pluginsBindings: { INTERNAL_TOKEN_SECRET: "a-different-secret" } });
  });
  afterAll(() => stack?.stop());

  it("answers /health 503 with plugins failing and what lies behind it unknown", async () => {
    expect(await health(stack)).toEqual({
      status: 503,
      body: {
        status: "failing",
        parts: { api: "ok", plugins: "failing", postgres: "unknown", r2: "unknown" },
        failing: ["plugins", "postgres", "r2"],
      },
    });
  });

  it("answers GET / all the same: the index needs no other part", async () => {
    expect(await index(stack)).toEqual({ status: 200, body: INDEX });
  });

  it("answers an install 503 SERVICE_UNAVAILABLE rather than blaming the caller", async () => {
    const token = (await mintCast(stack)).alice;
    const response = await install(stack, token, "acme", { pluginId: "anything" });
    expect(await expectError(response, 503, "SERVICE_UNAVAILABLE")).toBe("The plugin registry is unavailable");
  });
});
