import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginFolder, publishFields, tarGz, uploadFields, utf8 } from "./archive-fixtures";
import {
  expectNothingChanged,
  expectTrpcShape,
  MULTI_CHUNK,
  rawGet,
  seedAttackTargets,
  trpcGet,
} from "./attack-helpers";
import { type Cast, mintCast } from "./cast";
import { expectError, expectTrpcError, install, pluginMetadata, trpc, upload } from "./helpers";
import { type Stack, startStack } from "./stack";

/**
 * Traversal and look-alikes: plugin ids, bundle URLs sent byte for byte and archive entry
 * names that would mean another plugin's files, another URL or a route of the API reach
 * nothing but what they name, or are refused with nothing stored.
 */

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  await seedAttackTargets(stack, cast);
});
afterAll(() => stack?.stop());

describe("traversal and look-alikes in plugin ids", () => {
  const ids: [string, string][] = [
    ["../x", "a parent segment"],
    ["a/b", "a slash"],
    ["a\\b", "a backslash"],
    ["%2e%2e", "encoded dots"],
    ["..%2f", "dots and an encoded slash"],
    ["%2e%2e%2fowned", "an encoded traversal"],
    [".", "a single dot"],
    [".owned", "a leading dot"],
    ["owned.", "a trailing dot"],
    ["-owned", "a leading dash"],
    ["own--ed", "a doubled separator"],
    ["~blocked", "the blocked-marker prefix"],
    [" owned", "a leading space"],
    ["owned\u0000", "a NUL"],
    ["owned\u200b", "a zero-width space"],
    ["\u043ewned", "a Cyrillic о"],
    ["ｏｗｎｅｄ", "fullwidth letters"],
    ["\uff0e\uff0e", "fullwidth dots"],
    ["owned\u2024x", "a one-dot leader"],
    ["ﬁle", "a ligature"],
    ["a".repeat(65), "65 characters"],
    [`${"ab-".repeat(21)}ab`, "65 characters with separators"],
    ["a".repeat(1000), "1000 characters"],
  ];

  it.each(ids)("refuses the id %j (%s) 400 naming id on upload, install and tRPC", async (id) => {
    await expectNothingChanged(stack, async () => {
      const uploaded = await upload(stack, { token: cast.alice, metadata: pluginMetadata({ id }) });
      expect(await expectError(uploaded, 400, "BAD_REQUEST")).toMatch(/(^|; )metadata\.id: /);
      const installed = await install(stack, cast.alice, "acme", { pluginId: id, instanceId: "t" });
      expect(await expectError(installed, 400, "BAD_REQUEST")).toMatch(/(^|; )pluginId: /);
      const got = await trpcGet(stack, "plugins.get", { pluginId: id });
      expect(await expectTrpcShape(got, 400, "BAD_REQUEST", "plugins.get")).toMatch(/(^|; )pluginId: /);
    });
  });

  it("refuses a traversal id inside an archive's plugin.json (400 naming id)", async () => {
    await expectNothingChanged(stack, async () => {
      const file = await tarGz(pluginFolder({ id: "../owned", version: "1.0.0" }));
      const response = await uploadFields(stack, { token: cast.alice, file });
      expect(await expectError(response, 400, "BAD_REQUEST")).toMatch(/(^|; )plugin\.json\.id: /);
    });
  });
});

describe("traversal in bundle URLs, sent byte for byte", () => {
  const paths = [
    "/plugins/bundles/owned/v1.0.0/..%2f..%2fguarded%2fv1.1.0%2fbundle.js",
    "/plugins/bundles/owned/v1.0.0/..%2F..%2Fguarded%2F1.1.0%2Fbundle.js",
    "/plugins/bundles/owned/v1.0.0/..%5c..%5cguarded%5c1.1.0%5cbundle.js",
    "/plugins/bundles/owned/v1.0.0/%c0%ae%c0%ae/%c0%ae%c0%ae/guarded/1.1.0/bundle.js",
    "/plugins/bundles/owned/v1.0.0/%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afguarded%c0%af1.1.0%c0%afbundle.js",
    "/plugins/bundles/owned/v1.0.0/%ef%bc%8e%ef%bc%8e/%ef%bc%8e%ef%bc%8e/guarded/1.1.0/bundle.js",
    "/plugins/bundles/owned/v1.0.0%2f..%2f..%2fguarded%2fv1.1.0/bundle.js",
    "/plugins/bundles/owned/v..%2f..%2fguarded%2f1.1.0/bundle.js",
    "/plugins/bundles/%2e%2e/v1.0.0/guarded/1.1.0/bundle.js",
    "/plugins/bundles/owned%2f..%2fguarded/v1.1.0/bundle.js",
    "/plugins/bundles/owned/v1.0.0/bundle.js%00.png",
    "/plugins/bundles/owned/v1.0.0/bundle.js%00",
    "/plugins/bundles/owned/v1.0.0//bundle.js",
    "/plugins/bundles/owned/v1.0.0/%2fbundle.js",
    "/plugins/bundles/~blocked/v1.0.0/owned",
    "/plugins/bundles/%7eblocked/v1.0.0/owned",
    "/plugins/bundles/owned/v1.0.0/..%2f..%2f~blocked%2fowned%2f1.0.0",
    "/plugins/bundles/owned@latest/..%5cguarded%5cbundle.js",
    "/plugins/bundles/owned@latest/%252e%252e%252fguarded%252fbundle.js",
    "/plugins/bundles/owned@latest/%c0%ae%c0%ae/guarded/bundle.js",
    "/plugins/bundles/owned@latest/bundle.js%00",
  ];

  it.each(paths)("answers 404 to %s, never another plugin's bytes", async (path) => {
    await expectNothingChanged(stack, async () => {
      const response = await rawGet(stack, path);
      expect(response.status, response.body.toString()).toBe(404);
      const body = JSON.parse(response.body.toString()) as { error: { code: string } };
      expect(body.error.code).toBe("NOT_FOUND");
      expect(response.body.toString()).not.toContain("mallory");
      expect(response.body.toString()).not.toContain("guarded'");
    });
  });

  it.each([
    "/plugins/bundles/owned/v1.0.0/..\\..\\multi\\v1.0.0\\chunks\\a.js",
    "/plugins/bundles/owned/v1.0.0/../../multi/v1.0.0/chunks/a.js",
    "/plugins/bundles/owned/v1.0.0/%2e%2e/%2E%2E/multi/v1.0.0/chunks/a.js",
    "/plugins/bundles/multi/v1.0.0/chunks/%2e/a.js",
  ])("resolves raw %s as any URL parser does, to multi's own public URL, not to a file of owned", async (path) => {
    // Browsers resolve `..`, `%2e` and `\\` before the request leaves, so this reaches nothing a
    // plain GET of multi's public URL would not. (A non-entry file: no download is counted.)
    const response = await rawGet(stack, path);
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(MULTI_CHUNK);
    const canonical = await fetch(`${stack.url}/plugins/bundles/multi/v1.0.0/chunks/a.js`);
    expect(await canonical.text()).toBe(MULTI_CHUNK);
  });

  it("answers an encoded traversal in /api/plugins/:id/bundle with 404", async () => {
    await expectNothingChanged(stack, async () => {
      for (const path of ["/api/plugins/..%2fguarded/bundle", "/api/plugins/%2e%2e%2fguarded/bundle"]) {
        const response = await rawGet(stack, path);
        expect(response.status, path).toBe(404);
        expect((JSON.parse(response.body.toString()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
      }
    });
  });
});

describe("bundle paths cannot reach another plugin's files", () => {
  beforeAll(async () => {
    await publishFields(stack, {
      token: cast.alice,
      file: await tarGz(pluginFolder({ id: "plugin-a", version: "1.0.0" })),
    });
    await publishFields(stack, {
      token: cast.alice,
      file: await tarGz(pluginFolder({ id: "plugin-b", version: "1.0.0" }, "b")),
    });
  });

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
      const response = await uploadFields(stack, { token: cast.alice, file: await tarGz(files) });
      expect(await expectError(response, 400, "BAD_REQUEST")).toContain("'%', '?' or '#'");
      expect(await stack.snapshot()).toEqual(before);
    },
  );
});

describe("the fixed words of /api/plugins routes are no plugin ids", () => {
  it.each(["upload", "install", "start", "stop", "status"])(
    "refuses to publish a plugin named '%s' (400 naming the id), storing nothing",
    async (id) => {
      await expectNothingChanged(stack, async () => {
        const response = await upload(stack, { token: cast.alice, metadata: pluginMetadata({ id }) });
        const message = await expectError(response, 400, "BAD_REQUEST");
        expect(message).toContain(`metadata.id: "${id}" is reserved`);
      });
    },
  );

  it("refuses one named 'status' in an archive's plugin.json, too", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await uploadFields(stack, {
        token: cast.alice,
        file: await tarGz(pluginFolder({ id: "status", version: "1.0.0" })),
      });
      expect(await expectError(response, 400, "BAD_REQUEST")).toContain('"status" is reserved');
    });
  });

  it("keeps reading a plugin stored under such a name before the words were reserved", async () => {
    await stack.db.query(
      `insert into plugins (id, name, description, category, extension_points, owner_id)
       values ('status', 'Status', '', 'widgets', '{}', 'alice')`,
    );
    const api = trpc(stack);
    expect(await api.plugins.get.query({ pluginId: "status" })).toMatchObject({ id: "status", name: "Status" });
    expect(await api.maintainers.list.query({ pluginId: "status" })).toMatchObject({ owner: "alice" });
    // No version yet: a read that finds nothing, not an id refused.
    await expectTrpcError(api.plugins.resolve.query({ pluginId: "status" }), "NOT_FOUND", 404);
  });
});
