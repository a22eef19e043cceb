import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectTrpcError, install, pluginMetadata, publish, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
const tokens = { admin: "", acmeEditor: "", acmeViewer: "", globexEditor: "" };

beforeAll(async () => {
  stack = await startStack();
  tokens.admin = await stack.token({ sub: "root", role: "admin" });
  tokens.acmeEditor = await stack.token({ sub: "alice", role: "editor", tenant: "acme" });
  tokens.acmeViewer = await stack.token({ sub: "vera", role: "viewer", tenant: "acme" });
  tokens.globexEditor = await stack.token({ sub: "gus", role: "editor", tenant: "globex" });
  await publish(stack, tokens.acmeEditor, pluginMetadata({ id: "audited", version: "1.0.0" }));
  for (const instanceId of ["one", "two", "three"]) {
    expect((await install(stack, tokens.acmeEditor, "acme", { pluginId: "audited", instanceId })).status).toBe(201);
  }
  expect((await install(stack, tokens.globexEditor, "globex", { pluginId: "audited" })).status).toBe(201);
});
afterAll(() => stack?.stop());

describe("reading the audit log", () => {
  it("gives a tenant's editor its own tenant's entries, newest first, page by page", async () => {
    const api = trpc(stack, tokens.acmeEditor);
    const first = await api.audit.list.query({ limit: 2 });
    expect(first.items.map((entry) => entry.details.instanceId)).toEqual(["three", "two"]);
    expect(first.items.every((entry) => entry.tenantId === "acme")).toBe(true);
    const second = await api.audit.list.query({ limit: 2, cursor: first.nextCursor ?? undefined });
    expect(second.items.map((entry) => entry.details.instanceId)).toEqual(["one"]);
    expect(second.nextCursor).toBeNull();
    expect(first.items[0]).toMatchObject({
      actorId: "alice",
      action: "installation.install",
      requestId: expect.any(String),
    });
  });

  it("lets an admin read one tenant's entries or everyone's, publishes included", async () => {
    const globex = await trpc(stack, tokens.admin).audit.list.query({ tenantId: "globex" });
    expect(globex.items.map((entry) => entry.actorId)).toEqual(["gus"]);
    const all = await trpc(stack, tokens.admin).audit.list.query({ limit: 200 });
    expect(all.items.map((entry) => entry.action)).toContain("plugin_version.publish");
    expect(all.items).toHaveLength(5);
  });

  it.each([
    [
      "another tenant's log to an editor, as if it did not exist",
      "globexEditor",
      { tenantId: "acme" },
      "NOT_FOUND",
      404,
    ],
    ["its own tenant's log to a viewer", "acmeViewer", { tenantId: "acme" }, "FORBIDDEN", 403],
    [
      "another tenant's log to a viewer, as if it did not exist",
      "acmeViewer",
      { tenantId: "globex" },
      "NOT_FOUND",
      404,
    ],
    ["a malformed cursor", "acmeEditor", { cursor: -1 }, "BAD_REQUEST", 400],
  ] as const)("refuses %s", async (_case, who, input, code, status) => {
    await expectTrpcError(trpc(stack, tokens[who]).audit.list.query(input), code, status);
  });

  it("asks a guest to sign in", async () => {
    await expectTrpcError(trpc(stack).audit.list.query({}), "UNAUTHORIZED", 401);
  });
});
