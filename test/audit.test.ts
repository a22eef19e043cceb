import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import { expectTrpcError, install, pluginMetadata, present, publish, sleep, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let cast: Cast;
/** Instants between the acme installs: after "one", and after "three". */
let afterOne: string;
let afterThree: string;
/** The installation id (the entries' `resourceId`) of acme's instance "two". */
let twoId: string;

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  await publish(stack, cast.alice, pluginMetadata({ id: "audited", version: "1.0.0" }));
  for (const instanceId of ["one", "two", "three"]) {
    expect((await install(stack, cast.alice, "acme", { pluginId: "audited", instanceId })).status).toBe(201);
    // Entries take their time from the database clock; a gap keeps the instants between them apart.
    await sleep(50);
    if (instanceId === "one") afterOne = new Date().toISOString();
    if (instanceId === "three") afterThree = new Date().toISOString();
    await sleep(50);
  }
  await trpc(stack, cast.carol).installations.activate.mutate({ tenantId: "acme", instanceId: "two" });
  await trpc(stack, cast.carol).policies.set.mutate({ tenantId: "acme", requireSignatures: false });
  expect((await install(stack, cast.bob, "globex", { pluginId: "audited" })).status).toBe(201);
  const { items } = await trpc(stack, cast.root).audit.list.query({ tenantId: "acme", action: "installation.install" });
  twoId = present(items.find((entry) => entry.details.instanceId === "two")).resourceId;
});
afterAll(() => stack?.stop());

/** Entries as `action instance` (an installation's) or `action`, newest first. */
function described(items: Array<{ action: string; details: Record<string, unknown> }>): string[] {
  return items.map((entry) => [entry.action, entry.details.instanceId].filter(Boolean).join(" "));
}

describe("reading the audit log", () => {
  it("gives a tenant's editor its own tenant's entries, newest first, page by page", async () => {
    const api = trpc(stack, cast.alice);
    const first = await api.audit.list.query({ limit: 3 });
    expect(described(first.items)).toEqual([
      "tenant_policy.set",
      "installation.activate two",
      "installation.install three",
    ]);
    expect(first.items.every((entry) => entry.tenantId === "acme")).toBe(true);
    const second = await api.audit.list.query({ limit: 3, cursor: first.nextCursor ?? undefined });
    expect(described(second.items)).toEqual(["installation.install two", "installation.install one"]);
    expect(second.nextCursor).toBeNull();
    expect(first.items[2]).toMatchObject({
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
    expect(all.items).toHaveLength(7);
  });

  it.each([
    ["another tenant's log to an editor, as if it did not exist", "bob", { tenantId: "acme" }, "NOT_FOUND", 404],
    ["its own tenant's log to a viewer", "vera", { tenantId: "acme" }, "FORBIDDEN", 403],
    ["another tenant's log to a viewer, as if it did not exist", "vera", { tenantId: "globex" }, "NOT_FOUND", 404],
    [
      "another tenant's log to an editor under filters too",
      "bob",
      { tenantId: "acme", action: "installation.install" },
      "NOT_FOUND",
      404,
    ],
  ] as const)("refuses %s", async (_case, who, input, code, status) => {
    await expectTrpcError(trpc(stack, cast[who]).audit.list.query(input), code, status);
  });

  it("asks a guest to sign in", async () => {
    await expectTrpcError(trpc(stack).audit.list.query({}), "UNAUTHORIZED", 401);
  });
});

describe("filtering the audit log on the server", () => {
  it.each([
    ["an exact action", { action: "installation.activate" }, ["installation.activate two"]],
    [
      "a kind of action, ending with its dot",
      { action: "installation." },
      [
        "installation.activate two",
        "installation.install three",
        "installation.install two",
        "installation.install one",
      ],
    ],
    ["a kind without its dot, as the exact action nothing is named", { action: "installation" }, []],
    ["no kind by the letters it starts with", { action: "install." }, []],
    [
      "a resource type",
      { resourceType: "installation" },
      [
        "installation.activate two",
        "installation.install three",
        "installation.install two",
        "installation.install one",
      ],
    ],
    ["another resource type", { resourceType: "tenant_policy" }, ["tenant_policy.set"]],
    ["a resource type the tenant has no entry of", { resourceType: "publish_token" }, []],
    ["an actor", { actor: "carol" }, ["tenant_policy.set", "installation.activate two"]],
    ["a time window's start", { since: "afterThree" }, ["tenant_policy.set", "installation.activate two"]],
    ["a time window's end", { until: "afterOne" }, ["installation.install one"]],
    [
      "a time window",
      { since: "afterOne", until: "afterThree" },
      ["installation.install three", "installation.install two"],
    ],
    ["an actor and an action together", { actor: "alice", action: "installation.activate" }, []],
    [
      "an action and an actor that match together",
      { actor: "alice", action: "installation.install", until: "afterThree", since: "afterOne" },
      ["installation.install three", "installation.install two"],
    ],
  ] as const)("reads %s", async (_case, filters, expected) => {
    const instants: Record<string, string> = { afterOne, afterThree };
    const input = Object.fromEntries(
      Object.entries(filters).map(([key, value]) => [
        key,
        key === "since" || key === "until" ? instants[value] : value,
      ]),
    );
    const page = await trpc(stack, cast.alice).audit.list.query(input as never);
    expect(described(page.items)).toEqual(expected);
    expect(page.nextCursor).toBeNull();
  });

  it("reads one resource's entries by its id, and with its type", async () => {
    const api = trpc(stack, cast.alice);
    const byId = await api.audit.list.query({ resourceId: twoId });
    expect(described(byId.items)).toEqual(["installation.activate two", "installation.install two"]);
    const byBoth = await api.audit.list.query({ resourceId: twoId, resourceType: "installation" });
    expect(byBoth.items.map((entry) => entry.id)).toEqual(byId.items.map((entry) => entry.id));
    expect((await api.audit.list.query({ resourceId: twoId, resourceType: "plugin" })).items).toEqual([]);
  });

  it("filters every tenant's log for an admin, and keeps an editor within its own", async () => {
    const publishes = await trpc(stack, cast.root).audit.list.query({ resourceType: "plugin_version" });
    expect(publishes.items.map((entry) => [entry.action, entry.tenantId])).toEqual([["plugin_version.publish", null]]);
    const bobs = await trpc(stack, cast.root).audit.list.query({ actor: "bob" });
    expect(bobs.items.map((entry) => entry.tenantId)).toEqual(["globex"]);
    expect((await trpc(stack, cast.bob).audit.list.query({ actor: "alice" })).items).toEqual([]);
    expect((await trpc(stack, cast.bob).audit.list.query({ resourceId: twoId })).items).toEqual([]);
  });

  it("pages under a filter, skipping the entries it leaves out", async () => {
    const api = trpc(stack, cast.alice);
    const filters = { action: "installation.install", actor: "alice" };
    const first = await api.audit.list.query({ ...filters, limit: 2 });
    expect(described(first.items)).toEqual(["installation.install three", "installation.install two"]);
    const second = await api.audit.list.query({ ...filters, limit: 2, cursor: present(first.nextCursor) });
    expect(described(second.items)).toEqual(["installation.install one"]);
    expect(second.nextCursor).toBeNull();
  });

  it.each([
    ["other filters", "alice", { action: "installation.install", limit: 1 }, { action: "installation." }],
    ["no filters", "alice", { action: "installation.install", limit: 1 }, {}],
    ["filters added", "alice", { limit: 1 }, { actor: "alice" }],
    ["another tenant", "root", { tenantId: "acme", limit: 1 }, { tenantId: "globex" }],
    ["every tenant", "root", { tenantId: "acme", limit: 1 }, {}],
  ] as const)("refuses a cursor used with %s, naming cursor (400)", async (_case, who, made, used) => {
    const api = trpc(stack, cast[who]);
    const cursor = present((await api.audit.list.query(made)).nextCursor);
    const message = await expectTrpcError(api.audit.list.query({ ...used, cursor }), "BAD_REQUEST", 400);
    expect(message).toMatch(/^cursor: it continues a listing of another tenant or other filters/);
  });

  it.each([
    ["cursor", { cursor: -1 }],
    ["cursor", { cursor: "42" }],
    ["cursor", { cursor: Buffer.from(JSON.stringify({ id: 0.5, of: "x" })).toString("base64url") }],
    ["action", { action: "installation.%" }],
    ["action", { action: "Installation.install" }],
    ["action", { action: ".install" }],
    ["action", { action: "" }],
    ["resourceType", { resourceType: "instance" }],
    ["resourceId", { resourceId: "" }],
    ["resourceId", { resourceId: "a\u0000b" }],
    ["actor", { actor: "x".repeat(257) }],
    ["actor", { actor: 7 }],
    ["since", { since: "yesterday" }],
    ["since", { since: "2026-02-30T00:00:00Z" }],
    ["since", { since: "0000-06-01T00:00:00Z" }],
    ["until", { until: "2026-01-01" }],
    ["until", { since: "2026-01-02T00:00:00Z", until: "2026-01-01T00:00:00Z" }],
    ["until", { since: "2026-01-01T00:00:00Z", until: "2026-01-01T00:00:00Z" }],
  ])("refuses a bad %s (400, naming it) and changes nothing: %j", async (field, input) => {
    const before = await trpc(stack, cast.root).audit.list.query({ limit: 200 });
    const message = await expectTrpcError(trpc(stack, cast.alice).audit.list.query(input as never), "BAD_REQUEST", 400);
    expect(message).toMatch(new RegExp(`^${field}: `));
    expect(await trpc(stack, cast.root).audit.list.query({ limit: 200 })).toEqual(before);
  });
});
