import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintCast } from "./cast";
import { expectError, expectTrpcError, install, pluginMetadata, trpc, upload } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let alice: string;
let carol: string;

beforeAll(async () => {
  stack = await startStack();
  ({ alice, carol } = await mintCast(stack));
});
afterAll(() => stack?.stop());

const createToken = (input: { name: string; plugins: string[]; actions: ("publish" | "deprecate" | "yank")[] }) =>
  trpc(stack, alice).tokens.create.mutate(input);

describe("publish tokens for CI", () => {
  it("shows a new token once and stores only its hash", async () => {
    const created = await createToken({ name: "ci", plugins: ["acme-*"], actions: ["publish"] });
    expect(created.token).toMatch(/^ppt_[A-Za-z0-9_-]{43}$/);
    const { rows } = await stack.db.query("select * from publish_tokens where id = $1", [created.id]);
    expect(JSON.stringify(rows)).not.toContain(created.token);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    const listed = await trpc(stack, alice).tokens.list.query();
    expect(listed.map((token) => token.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(JSON.stringify(listed)).not.toContain(rows[0].token_hash);
  });

  it("publishes as its owner within its scope and records when it was used", async () => {
    const { id, token } = await createToken({ name: "widgets", plugins: ["acme-*"], actions: ["publish"] });
    const response = await upload(stack, { token, metadata: pluginMetadata({ id: "acme-widgets", version: "1.0.0" }) });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { publishedBy: string }).publishedBy).toBe("alice");
    const { rows } = await stack.db.query("select owner_id from plugins where id = 'acme-widgets'");
    expect(rows).toEqual([{ owner_id: "alice" }]);
    const listed = await trpc(stack, alice).tokens.list.query();
    expect(listed.find((token) => token.id === id)?.lastUsedAt).not.toBeNull();
  });

  it("refuses what its scope does not cover, storing nothing", async () => {
    const { token } = await createToken({ name: "narrow", plugins: ["acme-widgets"], actions: ["publish"] });
    const before = await stack.snapshot();
    const outside = await upload(stack, { token, metadata: pluginMetadata({ id: "other-plugin", version: "1.0.0" }) });
    expect(await expectError(outside, 403, "FORBIDDEN")).toContain("may not publish 'other-plugin'");
    await expectTrpcError(
      trpc(stack, token).versions.deprecate.mutate({ pluginId: "acme-widgets", version: "1.0.0", message: "old" }),
      "FORBIDDEN",
      403,
    );
    await expectTrpcError(
      trpc(stack, token).tokens.create.mutate({ name: "escalate", plugins: ["*"], actions: ["publish"] }),
      "FORBIDDEN",
      403,
    );
    await expectError(await install(stack, token, "acme", { pluginId: "acme-widgets" }), 403, "FORBIDDEN");
    expect(await stack.snapshot()).toEqual(before);
  });

  it("yanks with a yank-scoped token", async () => {
    const { token } = await createToken({ name: "yanker", plugins: ["acme-widgets"], actions: ["yank"] });
    const yanked = await trpc(stack, token).versions.yank.mutate({ pluginId: "acme-widgets", version: "1.0.0" });
    expect(yanked.status).toBe("yanked");
  });

  it("names the token, never its secret, in the audit entries of what it did", async () => {
    const { id, token } = await createToken({
      name: "release-bot",
      plugins: ["acme-audited"],
      actions: ["publish", "deprecate", "yank"],
    });
    const published = await upload(stack, {
      token,
      metadata: pluginMetadata({ id: "acme-audited", version: "1.0.0" }),
    });
    expect(published.status).toBe(201);
    const ref = { pluginId: "acme-audited", version: "1.0.0" };
    await trpc(stack, token).versions.deprecate.mutate({ ...ref, message: "use 2.x" });
    await trpc(stack, token).versions.yank.mutate(ref);
    const jwtPublish = await upload(stack, {
      token: alice,
      metadata: pluginMetadata({ id: "acme-audited", version: "1.0.1" }),
    });
    expect(jwtPublish.status).toBe(201);

    const { rows } = await stack.db.query(
      "select action, resource_id, details from audit_log where resource_id like 'acme-audited@%' order by id",
    );
    const via = { tokenId: id, tokenName: "release-bot" };
    expect(rows.map((row) => [row.action, row.resource_id, row.details.via])).toEqual([
      ["plugin_version.publish", "acme-audited@1.0.0", via],
      ["plugin_version.deprecate", "acme-audited@1.0.0", via],
      ["plugin_version.yank", "acme-audited@1.0.0", via],
      ["plugin_version.publish", "acme-audited@1.0.1", undefined],
    ]);
    const [{ token_hash }] = (await stack.db.query("select token_hash from publish_tokens where id = $1", [id])).rows;
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(rows)).not.toContain(token_hash);
  });

  it("stops working the moment it is revoked, and only its owner may revoke it", async () => {
    const { id, token } = await createToken({ name: "short-lived", plugins: ["acme-*"], actions: ["publish"] });
    await expectTrpcError(trpc(stack, carol).tokens.revoke.mutate({ id }), "NOT_FOUND", 404);
    await trpc(stack, alice).tokens.revoke.mutate({ id });
    const refused = await upload(stack, { token, metadata: pluginMetadata({ id: "acme-gadgets", version: "1.0.0" }) });
    expect(await expectError(refused, 401, "UNAUTHORIZED")).toContain("revoked");
    const { rows } = await stack.db.query("select action from audit_log where resource_id = $1 order by id", [id]);
    expect(rows.map((row) => row.action)).toEqual(["publish_token.create", "publish_token.revoke"]);
  });

  it("is refused once expired, and a made-up token is refused (401)", async () => {
    const { id, token } = await createToken({ name: "expiring", plugins: ["acme-*"], actions: ["publish"] });
    await stack.db.query("update publish_tokens set expires_at = now() - interval '1 second' where id = $1", [id]);
    const metadata = pluginMetadata({ id: "acme-expired", version: "1.0.0" });
    await expectError(await upload(stack, { token, metadata }), 401, "UNAUTHORIZED");
    await expectError(await upload(stack, { token: `ppt_${"A".repeat(43)}`, metadata }), 401, "UNAUTHORIZED");
    await expectError(await upload(stack, { token: "ppt_", metadata }), 401, "UNAUTHORIZED");
  });

  it.each([
    [{ name: "", plugins: ["acme-*"], actions: ["publish"] }, "name"],
    [{ name: "x", plugins: [], actions: ["publish"] }, "plugins"],
    [{ name: "x", plugins: ["../etc"], actions: ["publish"] }, "plugins"],
    [{ name: "x", plugins: ["acme-*"], actions: ["admin"] }, "actions"],
  ])("refuses to create a token with a bad %o (400 naming %s)", async (input, field) => {
    const message = await expectTrpcError(
      trpc(stack, alice).tokens.create.mutate(input as Parameters<typeof createToken>[0]),
      "BAD_REQUEST",
      400,
    );
    expect(message).toContain(field);
  });
});
