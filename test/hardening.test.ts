import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginFolder, publishFields, tarGz, uploadFields, utf8 } from "./archive-fixtures";
import { expectError, expectTrpcError, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

/** Found in review: each case once answered wrongly; each stays a regression test. */
let stack: Stack;
let token: string;

beforeAll(async () => {
  stack = await startStack();
  token = await stack.token({ sub: "alice", role: "editor", tenant: "acme" });
  await publishFields(stack, { token, file: await tarGz(pluginFolder({ id: "plugin-a", version: "1.0.0" })) });
  await publishFields(stack, {
    token,
    file: await tarGz(pluginFolder({ id: "plugin-b", version: "1.0.0" }, "b")),
  });
});
afterAll(() => stack?.stop());

describe("bundle paths cannot reach another plugin's files", () => {
  it.each([
    "/plugins/bundles/plugin-a/v1.0.0/%252e%252e/%252e%252e/plugin-b/1.0.0/index.js",
    "/plugins/bundles/plugin-a/v1.0.0/%2e%2e/%2e%2e/plugin-b/1.0.0/index.js",
    "/plugins/bundles/plugin-a/v1.0.0/..%252f..%252fplugin-b%252f1.0.0%252findex.js",
  ])("answers 404 to %s instead of plugin-b's bytes", async (path) => {
    const response = await fetch(`${stack.url}${path}`);
    expect(response.status).toBe(404);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });

  it.each(["a%2e.js", "query?.js", "frag#.js"])(
    "refuses an archive entry named %s, which would mean another URL (400), storing nothing",
    async (name) => {
      const before = await stack.snapshot();
      const files = [...pluginFolder({ id: "plugin-c", version: "1.0.0" }), { path: name, bytes: utf8("x") }];
      const response = await uploadFields(stack, { token, file: await tarGz(files) });
      expect(await expectError(response, 400, "BAD_REQUEST")).toContain("'%', '?' or '#'");
      expect(await stack.snapshot()).toEqual(before);
    },
  );
});

describe("inputs that once reached Postgres and failed there (500) answer 400", () => {
  it("a search cursor carrying a NUL in its id", async () => {
    const cursor = Buffer.from(JSON.stringify({ id: "a\u0000b" })).toString("base64url");
    await expectTrpcError(trpc(stack).plugins.search.query({ cursor }), "BAD_REQUEST", 400);
  });

  it("a download-stats day before year 1", async () => {
    await expectTrpcError(
      trpc(stack).downloads.stats.query({ pluginId: "plugin-a", from: "0000-01-01" }),
      "BAD_REQUEST",
      400,
    );
  });
});

describe("answers no cache may keep", () => {
  it("marks an unsatisfiable range no-store, not immutable", async () => {
    const response = await fetch(`${stack.url}/plugins/bundles/plugin-a/v1.0.0/index.js`, {
      headers: { range: "bytes=999999-" },
    });
    expect(response.status).toBe(416);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });
});
