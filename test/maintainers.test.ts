import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import { expectError, expectTrpcError, pluginMetadata, publish, trpc, upload } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  await publish(stack, cast.alice, pluginMetadata({ id: "shared", version: "1.0.0" }));
});
afterAll(() => stack?.stop());

const metadata = (version: string) => pluginMetadata({ id: "shared", version });

describe("maintainers", () => {
  it("lets the owner add a maintainer, who may then publish and yank, and records it", async () => {
    await expectError(await upload(stack, { token: cast.carol, metadata: metadata("1.1.0") }), 403, "FORBIDDEN");
    const added = await trpc(stack, cast.alice).maintainers.add.mutate({ pluginId: "shared", userId: "carol" });
    expect(added).toMatchObject({ pluginId: "shared", userId: "carol", addedBy: "alice" });

    expect((await upload(stack, { token: cast.carol, metadata: metadata("1.1.0") })).status).toBe(201);
    const yanked = await trpc(stack, cast.carol).versions.yank.mutate({ pluginId: "shared", version: "1.1.0" });
    expect(yanked.status).toBe("yanked");

    const { rows } = await stack.db.query(
      "select actor_id, details from audit_log where resource_id = 'shared' and action = 'plugin.maintainer_add'",
    );
    expect(rows).toEqual([{ actor_id: "alice", details: { userId: "carol" } }]);
  });

  it("lists the owner and the maintainers to anyone", async () => {
    const listed = await trpc(stack).maintainers.list.query({ pluginId: "shared" });
    expect(listed.owner).toBe("alice");
    expect(listed.maintainers.map((maintainer) => maintainer.userId)).toEqual(["carol"]);
  });

  it("keeps everyone else out of publishing (403), and leaves naming maintainers to the owner", async () => {
    const before = await stack.snapshot();
    await expectError(await upload(stack, { token: cast.bob, metadata: metadata("1.2.0") }), 403, "FORBIDDEN");
    await expectTrpcError(
      trpc(stack, cast.carol).maintainers.add.mutate({ pluginId: "shared", userId: "bob" }),
      "FORBIDDEN",
      403,
    );
    await expectTrpcError(
      trpc(stack, cast.bob).versions.deprecate.mutate({ pluginId: "shared", version: "1.0.0", message: "x" }),
      "FORBIDDEN",
      403,
    );
    expect(await stack.snapshot()).toEqual(before);
  });

  it.each([
    ["the owner as a maintainer", { pluginId: "shared", userId: "alice" }, "CONFLICT", 409],
    ["the same maintainer twice", { pluginId: "shared", userId: "carol" }, "CONFLICT", 409],
    ["a maintainer of an unknown plugin", { pluginId: "nobody-has-this", userId: "carol" }, "NOT_FOUND", 404],
    ["an empty user id", { pluginId: "shared", userId: "" }, "BAD_REQUEST", 400],
  ] as const)("refuses to add %s", async (_case, input, code, status) => {
    const before = await stack.snapshot();
    await expectTrpcError(trpc(stack, cast.alice).maintainers.add.mutate(input), code, status);
    expect(await stack.snapshot()).toEqual(before);
  });

  it("lets an admin add a maintainer to any plugin", async () => {
    await trpc(stack, cast.root).maintainers.add.mutate({ pluginId: "shared", userId: "bob" });
    expect((await upload(stack, { token: cast.bob, metadata: metadata("1.3.0") })).status).toBe(201);
  });

  it("takes publishing away when the owner removes a maintainer", async () => {
    await trpc(stack, cast.alice).maintainers.remove.mutate({ pluginId: "shared", userId: "carol" });
    await expectError(await upload(stack, { token: cast.carol, metadata: metadata("1.4.0") }), 403, "FORBIDDEN");
    await expectTrpcError(
      trpc(stack, cast.alice).maintainers.remove.mutate({ pluginId: "shared", userId: "carol" }),
      "NOT_FOUND",
      404,
    );
  });
});
