import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, expectTrpcError, pluginMetadata, publish, trpc, upload } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
const tokens: Record<"alice" | "bob" | "carol" | "admin", string> = { alice: "", bob: "", carol: "", admin: "" };

beforeAll(async () => {
  stack = await startStack();
  tokens.alice = await stack.token({ sub: "alice", role: "editor", tenant: "acme" });
  tokens.bob = await stack.token({ sub: "bob", role: "editor", tenant: "acme" });
  tokens.carol = await stack.token({ sub: "carol", role: "editor", tenant: "globex" });
  tokens.admin = await stack.token({ sub: "root", role: "admin" });
  await publish(stack, tokens.alice, pluginMetadata({ id: "shared", version: "1.0.0" }));
});
afterAll(() => stack?.stop());

const metadata = (version: string) => pluginMetadata({ id: "shared", version });

describe("maintainers", () => {
  it("lets the owner add a maintainer, who may then publish and yank, and records it", async () => {
    await expectError(await upload(stack, { token: tokens.bob, metadata: metadata("1.1.0") }), 403, "FORBIDDEN");
    const added = await trpc(stack, tokens.alice).maintainers.add.mutate({ pluginId: "shared", userId: "bob" });
    expect(added).toMatchObject({ pluginId: "shared", userId: "bob", addedBy: "alice" });

    expect((await upload(stack, { token: tokens.bob, metadata: metadata("1.1.0") })).status).toBe(201);
    const yanked = await trpc(stack, tokens.bob).versions.yank.mutate({ pluginId: "shared", version: "1.1.0" });
    expect(yanked.status).toBe("yanked");

    const { rows } = await stack.db.query(
      "select actor_id, details from audit_log where resource_id = 'shared' and action = 'plugin.maintainer_add'",
    );
    expect(rows).toEqual([{ actor_id: "alice", details: { userId: "bob" } }]);
  });

  it("lists the owner and the maintainers to anyone", async () => {
    const listed = await trpc(stack).maintainers.list.query({ pluginId: "shared" });
    expect(listed.owner).toBe("alice");
    expect(listed.maintainers.map((maintainer) => maintainer.userId)).toEqual(["bob"]);
  });

  it("keeps everyone else out of publishing (403), and leaves naming maintainers to the owner", async () => {
    const before = await stack.snapshot();
    await expectError(await upload(stack, { token: tokens.carol, metadata: metadata("1.2.0") }), 403, "FORBIDDEN");
    await expectTrpcError(
      trpc(stack, tokens.bob).maintainers.add.mutate({ pluginId: "shared", userId: "carol" }),
      "FORBIDDEN",
      403,
    );
    await expectTrpcError(
      trpc(stack, tokens.carol).versions.deprecate.mutate({ pluginId: "shared", version: "1.0.0", message: "x" }),
      "FORBIDDEN",
      403,
    );
    expect(await stack.snapshot()).toEqual(before);
  });

  it.each([
    ["the owner as a maintainer", { pluginId: "shared", userId: "alice" }, "CONFLICT", 409],
    ["the same maintainer twice", { pluginId: "shared", userId: "bob" }, "CONFLICT", 409],
    ["a maintainer of an unknown plugin", { pluginId: "nobody-has-this", userId: "bob" }, "NOT_FOUND", 404],
    ["an empty user id", { pluginId: "shared", userId: "" }, "BAD_REQUEST", 400],
  ] as const)("refuses to add %s", async (_case, input, code, status) => {
    const before = await stack.snapshot();
    await expectTrpcError(trpc(stack, tokens.alice).maintainers.add.mutate(input), code, status);
    expect(await stack.snapshot()).toEqual(before);
  });

  it("lets an admin add a maintainer to any plugin", async () => {
    await trpc(stack, tokens.admin).maintainers.add.mutate({ pluginId: "shared", userId: "carol" });
    expect((await upload(stack, { token: tokens.carol, metadata: metadata("1.3.0") })).status).toBe(201);
  });

  it("takes publishing away when the owner removes a maintainer", async () => {
    await trpc(stack, tokens.alice).maintainers.remove.mutate({ pluginId: "shared", userId: "bob" });
    await expectError(await upload(stack, { token: tokens.bob, metadata: metadata("1.4.0") }), 403, "FORBIDDEN");
    await expectTrpcError(
      trpc(stack, tokens.alice).maintainers.remove.mutate({ pluginId: "shared", userId: "bob" }),
      "NOT_FOUND",
      404,
    );
  });
});
