import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import { expectTrpcError, install, pluginMetadata, publish, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  await publish(stack, cast.alice, pluginMetadata({ id: "audited", version: "1.0.0" }));
  for (const instanceId of ["one", "two", "three"]) {
    expect((await install(stack, cast.alice, "acme", { pluginId: "audited", instanceId })).status).toBe(201);
  }
  expect((await install(stack, cast.bob, "globex", { pluginId: "audited" })).status).toBe(201);
});
afterAll(() => stack?.stop());

describe("reading the audit log", () => {
  it("gives a tenant's editor its own tenant's entries, newest first, page by page", async () => {
    const api = trpc(stack, cast.alice);
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
    const globex = await trpc(stack, cast.root).audit.list.query({ tenantId: "globex" });
    expect(globex.items.map((entry) => entry.actorId)).toEqual(["bob"]);
    const all = await trpc(stack, cast.root).audit.list.query({ limit: 200 });
    expect(all.items.map((entry) => entry.action)).toContain("plugin_version.publish");
    expect(all.items).toHaveLength(5);
  });

  it.each([
    ["another tenant's log to an editor, as if it did not exist", "bob", { tenantId: "acme" }, "NOT_FOUND", 404],
    ["its own tenant's log to a viewer", "vera", { tenantId: "acme" }, "FORBIDDEN", 403],
    ["another tenant's log to a viewer, as if it did not exist", "vera", { tenantId: "globex" }, "NOT_FOUND", 404],
    ["a malformed cursor", "alice", { cursor: -1 }, "BAD_REQUEST", 400],
  ] as const)("refuses %s", async (_case, who, input, code, status) => {
    await expectTrpcError(trpc(stack, cast[who]).audit.list.query(input), code, status);
  });

  it("asks a guest to sign in", async () => {
    await expectTrpcError(trpc(stack).audit.list.query({}), "UNAUTHORIZED", 401);
  });
});
