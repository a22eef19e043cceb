/**
 * The life of a version: numbers (semver, immutability, never reused), dist-tags,
 * deprecation, yanking and blocking, through the public HTTP API and the typed tRPC client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginFolder, publishFields, tarGz, uploadFields, uploadForm, utf8 } from "./archive-fixtures";
import { type Cast, mintCast } from "./cast";
import {
  expectCrossOrigin,
  expectError,
  expectTrpcError,
  getManual,
  install,
  NEGATIVE_LIVED,
  type PublishedVersion,
  pluginMetadata,
  publish,
  sha256Hex,
  sleep,
  trpc,
  trpcError,
} from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
});
afterAll(() => stack?.stop());

const bundleOf = (id: string, version: string) => `export default ${JSON.stringify({ id, version })};\n`;

/** Publishes single-file versions of `id` as alice, in order. */
async function publishVersions(id: string, ...versions: string[]) {
  for (const version of versions) {
    await publish(stack, cast.alice, pluginMetadata({ id, version }), bundleOf(id, version));
  }
}

/** Where `/plugins/bundles/<reference>` redirects to, as a path. */
async function floatingTarget(reference: string): Promise<string> {
  const response = await getManual(`${stack.url}/plugins/bundles/${reference}`);
  expect(response.status, await response.clone().text()).toBe(302);
  return new URL(response.headers.get("location") ?? "").pathname;
}

async function distTags(id: string) {
  return (await trpc(stack).plugins.get.query({ pluginId: id })).distTags;
}

async function auditCount(resourceId: string): Promise<number> {
  const { rows } = await stack.db.query<{ n: number }>(
    "select count(*)::int as n from audit_log where resource_id = $1",
    [resourceId],
  );
  return rows[0]?.n ?? 0;
}

/**
 * What a refusal here must leave as it was. Tests here fetch entry files, so their counted
 * downloads are written in the background: the snapshot leaves that table out (BACKGROUND_TABLES
 * in stack.ts).
 */
const stored = () => stack.snapshot();

async function objectKeys(prefix: string): Promise<string[]> {
  return (await stack.bucket.list({ prefix })).objects.map((object) => object.key).sort();
}

describe("version numbers", () => {
  it.each([
    ["v2.0.0", "2.0.0"],
    ["3.1.4+build.77", "3.1.4"],
    [" 4.0.0-rc.1 ", "4.0.0-rc.1"],
  ])("normalizes %j to %s everywhere: answer, row, R2 key and URL", async (given, normalized) => {
    const id = `semver-${normalized.replaceAll(".", "-")}`;
    const body = await publish(stack, cast.alice, pluginMetadata({ id, version: given }), "export {};\n");
    expect(body.version).toBe(normalized);
    expect(body.bundleUrl).toBe(`${stack.url}/plugins/bundles/${id}/v${normalized}/bundle.js`);
    const { rows } = await stack.db.query(
      "select version, manifest->>'version' as manifest from plugin_versions where plugin_id = $1",
      [id],
    );
    expect(rows).toEqual([{ version: normalized, manifest: normalized }]);
    expect(await objectKeys(`${id}/`)).toEqual([`${id}/${normalized}/bundle.js`]);
    expect((await fetch(body.bundleUrl)).status).toBe(200);
  });

  it.each(["1.2", "01.2.3", "1.2.3.4", "^1.2.3", ">=1.0.0", "1.0.0-", "latest", ""])(
    "refuses %j as a version (400 naming metadata.version) and stores nothing",
    async (version) => {
      const before = await stored();
      const response = await uploadFields(stack, {
        token: cast.alice,
        file: "export {};\n",
        metadata: pluginMetadata({ id: "bad-semver", version }),
      });
      expect(await expectError(response, 400, "BAD_REQUEST")).toMatch(/(^|; )metadata\.version: /);
      expect(await stored()).toEqual(before);
    },
  );

  describe("a published id@version never changes", () => {
    let first: PublishedVersion;
    beforeAll(async () => {
      first = await publish(
        stack,
        cast.alice,
        pluginMetadata({ id: "stable", version: "1.0.0" }),
        "export const v = 1;\n",
      );
    });

    it("answers an identical republish with 200 and the same record, without a new audit row or R2 object", async () => {
      const before = await stored();
      const keys = await objectKeys("stable/");
      const response = await uploadFields(stack, {
        token: cast.alice,
        metadata: pluginMetadata({ id: "stable", version: "1.0.0" }),
        file: "export const v = 1;\n",
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(first);
      expect(await stored()).toEqual(before);
      expect(await objectKeys("stable/")).toEqual(keys);
      expect(await auditCount("stable@1.0.0")).toBe(1);
    });

    it("refuses other bytes under the same number (409) and leaves the original untouched", async () => {
      const before = await stored();
      const response = await uploadFields(stack, {
        token: cast.alice,
        metadata: pluginMetadata({ id: "stable", version: "1.0.0" }),
        file: "export const v = 2;\n",
      });
      expect(await expectError(response, 409, "CONFLICT")).toContain("stable@1.0.0");
      expect(await stored()).toEqual(before);
      const served = await fetch(first.bundleUrl);
      expect(await served.text()).toBe("export const v = 1;\n");
      const { rows } = await stack.db.query("select sha256 from version_files where plugin_id = 'stable'");
      expect(rows).toEqual([{ sha256: sha256Hex("export const v = 1;\n") }]);
    });

    it("refuses the same bytes under changed metadata that moves the entry (409)", async () => {
      const response = await uploadFields(stack, {
        token: cast.alice,
        metadata: pluginMetadata({ id: "stable", version: "1.0.0", entry: "main.js" }),
        file: "export const v = 1;\n",
      });
      await expectError(response, 409, "CONFLICT");
      expect((await fetch(first.bundleUrl)).status).toBe(200);
    });
  });

  it("never reuses the number of a yanked version, not even for identical bytes (409)", async () => {
    await publishVersions("reuse-yanked", "1.0.0", "1.1.0");
    await trpc(stack, cast.alice).versions.yank.mutate({ pluginId: "reuse-yanked", version: "1.1.0" });
    const before = await stored();
    for (const file of [bundleOf("reuse-yanked", "1.1.0"), "export const other = true;\n"]) {
      const response = await uploadFields(stack, {
        token: cast.alice,
        metadata: pluginMetadata({ id: "reuse-yanked", version: "1.1.0" }),
        file,
      });
      expect(await expectError(response, 409, "CONFLICT")).toMatch(/yanked/);
    }
    expect(await stored()).toEqual(before);
  });

  it("never reuses the number of a blocked version, not even for identical bytes (409)", async () => {
    await publishVersions("reuse-blocked", "1.0.0", "1.1.0");
    await trpc(stack, cast.root).versions.block.mutate({
      pluginId: "reuse-blocked",
      version: "1.1.0",
      reason: "malware",
    });
    const before = await stored();
    for (const file of [bundleOf("reuse-blocked", "1.1.0"), "export const other = true;\n"]) {
      const response = await uploadFields(stack, {
        token: cast.root,
        metadata: pluginMetadata({ id: "reuse-blocked", version: "1.1.0" }),
        file,
      });
      expect(await expectError(response, 409, "CONFLICT")).toMatch(/blocked/);
    }
    expect(await stored()).toEqual(before);
    expect(await objectKeys("reuse-blocked/1.1.0/")).toEqual([]);
  });

  it("publishes through the typed tRPC client too: created, then not created for the same content", async () => {
    const api = trpc(stack, cast.alice);
    const form = () =>
      uploadForm({ file: "export const t = 1;\n", metadata: pluginMetadata({ id: "via-trpc", version: "0.1.0" }) });
    const created = await api.plugins.publish.mutate(form());
    expect(created.created).toBe(true);
    expect(created.version).toMatchObject({
      pluginId: "via-trpc",
      version: "0.1.0",
      entry: "bundle.js",
      fileCount: 1,
      status: "published",
      bundlePath: "/plugins/bundles/via-trpc/v0.1.0/bundle.js",
      entrySha256: sha256Hex("export const t = 1;\n"),
    });
    const again = await api.plugins.publish.mutate(form());
    expect(again.created).toBe(false);
    expect(again.version).toEqual(created.version);
  });
});

describe("dist-tags", () => {
  beforeAll(async () => {
    await publishVersions("tagged", "1.0.0", "1.10.0", "1.2.0", "2.0.0-beta.1");
  });

  it("points latest at the highest non-prerelease version, not the last published (1.10.0)", async () => {
    expect(await distTags("tagged")).toEqual({ latest: "1.10.0" });
    const resolved = await trpc(stack).plugins.resolve.query({ pluginId: "tagged" });
    expect(resolved.version).toBe("1.10.0");
    expect(await floatingTarget("tagged@latest")).toBe("/plugins/bundles/tagged/v1.10.0/bundle.js");
    const { rows } = await stack.db.query("select tag, version, explicit from dist_tags where plugin_id = 'tagged'");
    expect(rows).toEqual([{ tag: "latest", version: "1.10.0", explicit: false }]);
  });

  it("publishing with tag=beta points beta at the new version and leaves latest alone", async () => {
    const body = await publishFields(stack, {
      token: cast.alice,
      metadata: pluginMetadata({ id: "tagged", version: "2.0.0-beta.2" }),
      file: bundleOf("tagged", "2.0.0-beta.2"),
      tag: "beta",
    });
    expect(body.version).toBe("2.0.0-beta.2");
    expect(await distTags("tagged")).toEqual({ latest: "1.10.0", beta: "2.0.0-beta.2" });
    expect(await floatingTarget("tagged@beta")).toBe("/plugins/bundles/tagged/v2.0.0-beta.2/bundle.js");
    const { rows } = await stack.db.query(
      "select details from audit_log where resource_id = 'tagged@2.0.0-beta.2' and action = 'plugin_version.publish'",
    );
    expect(rows).toEqual([{ details: expect.objectContaining({ tag: "beta" }) }]);
  });

  it("publishing a higher stable version under another tag does not move latest either", async () => {
    await publishFields(stack, {
      token: cast.alice,
      metadata: pluginMetadata({ id: "tag-stable", version: "1.0.0" }),
      file: bundleOf("tag-stable", "1.0.0"),
    });
    await publishFields(stack, {
      token: cast.alice,
      metadata: pluginMetadata({ id: "tag-stable", version: "1.5.0" }),
      file: bundleOf("tag-stable", "1.5.0"),
      tag: "canary",
    });
    expect(await distTags("tag-stable")).toEqual({ latest: "1.0.0", canary: "1.5.0" });
  });

  it("still creates latest when a plugin's first version is published under another tag", async () => {
    // `latest` always exists once a stable version does (schema: dist_tags), so that
    // `/api/plugins/:id/bundle` and `id@latest` work for every published plugin.
    await publishFields(stack, {
      token: cast.alice,
      metadata: pluginMetadata({ id: "tag-first", version: "1.0.0" }),
      file: bundleOf("tag-first", "1.0.0"),
      tag: "next",
    });
    expect(await distTags("tag-first")).toEqual({ next: "1.0.0", latest: "1.0.0" });
    const response = await getManual(`${stack.url}/api/plugins/tag-first/bundle`);
    expect(response.status).toBe(302);
  });

  it("refuses an invalid tag field on upload (400 naming tag) and stores nothing", async () => {
    for (const tag of ["1.0.0", "^1", "Beta", "has space", ""]) {
      const before = await stored();
      const response = await uploadFields(stack, {
        token: cast.alice,
        metadata: pluginMetadata({ id: "tagged", version: "3.0.0" }),
        file: bundleOf("tagged", "3.0.0"),
        tag,
      });
      expect(await expectError(response, 400, "BAD_REQUEST"), tag).toMatch(/^tag: /);
      expect(await stored()).toEqual(before);
    }
  });

  it("tags.set latest to an older version pins it: a later, higher publish does not move it", async () => {
    const api = trpc(stack, cast.alice);
    expect(await api.tags.set.mutate({ pluginId: "tagged", tag: "latest", version: "1.2.0" })).toEqual({
      pluginId: "tagged",
      tag: "latest",
      version: "1.2.0",
    });
    const { rows } = await stack.db.query(
      "select version, explicit from dist_tags where plugin_id = 'tagged' and tag = 'latest'",
    );
    expect(rows).toEqual([{ version: "1.2.0", explicit: true }]);
    await publishVersions("tagged", "1.11.0");
    expect((await distTags("tagged")).latest).toBe("1.2.0");
    expect((await trpc(stack).plugins.resolve.query({ pluginId: "tagged", range: "latest" })).version).toBe("1.2.0");
    const redirect = await getManual(`${stack.url}/api/plugins/tagged/bundle`);
    expect(new URL(redirect.headers.get("location") ?? "").pathname).toBe("/plugins/bundles/tagged/v1.2.0/bundle.js");
    // Ranges are not affected by the pin.
    expect((await trpc(stack).plugins.resolve.query({ pluginId: "tagged", range: "^1.0.0" })).version).toBe("1.11.0");
  });

  it("tags.remove latest unpins it and hands it back to the highest stable version", async () => {
    const result = await trpc(stack, cast.alice).tags.remove.mutate({ pluginId: "tagged", tag: "latest" });
    expect(result).toEqual({ pluginId: "tagged", tag: "latest", removedVersion: "1.2.0", latest: "1.11.0" });
    const { rows } = await stack.db.query(
      "select version, explicit from dist_tags where plugin_id = 'tagged' and tag = 'latest'",
    );
    expect(rows).toEqual([{ version: "1.11.0", explicit: false }]);
    await publishVersions("tagged", "1.12.0");
    expect((await distTags("tagged")).latest).toBe("1.12.0");
  });

  it("sets and removes other tags, visible in plugins.get distTags and audited", async () => {
    const api = trpc(stack, cast.alice);
    await api.tags.set.mutate({ pluginId: "tagged", tag: "stable-lts", version: "1.0.0" });
    expect(await distTags("tagged")).toEqual({ latest: "1.12.0", beta: "2.0.0-beta.2", "stable-lts": "1.0.0" });
    expect(await floatingTarget("tagged@stable-lts/other.js")).toBe("/plugins/bundles/tagged/v1.0.0/other.js");
    expect(await api.tags.remove.mutate({ pluginId: "tagged", tag: "stable-lts" })).toMatchObject({
      removedVersion: "1.0.0",
    });
    expect(await distTags("tagged")).toEqual({ latest: "1.12.0", beta: "2.0.0-beta.2" });
    const { rows } = await stack.db.query(
      "select action, details from audit_log where resource_id = 'tagged' and details->>'tag' = 'stable-lts' order by id",
    );
    expect(rows).toEqual([
      { action: "dist_tag.set", details: { tag: "stable-lts", version: "1.0.0" } },
      { action: "dist_tag.remove", details: { tag: "stable-lts", version: "1.0.0" } },
    ]);
  });

  it("refuses a tag on an unknown version or plugin (NOT_FOUND) and removing a tag that does not exist", async () => {
    const api = trpc(stack, cast.alice);
    expect(
      await expectTrpcError(
        api.tags.set.mutate({ pluginId: "tagged", tag: "beta", version: "9.9.9" }),
        "NOT_FOUND",
        404,
      ),
    ).toContain("9.9.9");
    await expectTrpcError(
      api.tags.set.mutate({ pluginId: "no-such-plugin", tag: "beta", version: "1.0.0" }),
      "NOT_FOUND",
      404,
    );
    await expectTrpcError(api.tags.remove.mutate({ pluginId: "tagged", tag: "nightly" }), "NOT_FOUND", 404);
    expect((await distTags("tagged")).beta).toBe("2.0.0-beta.2");
  });

  it("refuses a tag on a yanked version (CONFLICT)", async () => {
    await publishVersions("tag-yanked", "1.0.0", "1.1.0");
    const api = trpc(stack, cast.alice);
    await api.versions.yank.mutate({ pluginId: "tag-yanked", version: "1.1.0" });
    const before = await stored();
    for (const tag of ["beta", "latest"]) {
      expect(
        await expectTrpcError(api.tags.set.mutate({ pluginId: "tag-yanked", tag, version: "1.1.0" }), "CONFLICT", 409),
      ).toContain("yanked");
    }
    expect(await stored()).toEqual(before);
    expect(await distTags("tag-yanked")).toEqual({ latest: "1.0.0" });
  });

  it.each(["1.0.0", "v1", "^1.0.0", "Latest", "x".repeat(33), "-beta"])(
    "refuses %j as a tag name (BAD_REQUEST)",
    async (tag) => {
      await expectTrpcError(
        trpc(stack, cast.alice).tags.set.mutate({ pluginId: "tagged", tag, version: "1.0.0" }),
        "BAD_REQUEST",
        400,
      );
    },
  );

  it("lets only the owner or an admin move tags", async () => {
    await expectTrpcError(
      trpc(stack, cast.bob).tags.set.mutate({ pluginId: "tagged", tag: "beta", version: "1.0.0" }),
      "FORBIDDEN",
      403,
    );
    await expectTrpcError(
      trpc(stack, cast.vera).tags.set.mutate({ pluginId: "tagged", tag: "beta", version: "1.0.0" }),
      "FORBIDDEN",
      403,
    );
    await expectTrpcError(trpc(stack).tags.remove.mutate({ pluginId: "tagged", tag: "beta" }), "UNAUTHORIZED", 401);
    await trpc(stack, cast.root).tags.set.mutate({ pluginId: "tagged", tag: "admin-pick", version: "1.0.0" });
    expect((await distTags("tagged"))["admin-pick"]).toBe("1.0.0");
  });
});

describe("deprecate", () => {
  const message = "Ersetzt durch new-widget — please migrate";

  beforeAll(async () => {
    await publishVersions("old-widget", "1.0.0", "1.1.0");
    await publishVersions("new-widget", "1.0.0");
  });

  it("shows the message and the replacement in plugins.get, plugins.resolve and the floating redirect", async () => {
    const result = await trpc(stack, cast.alice).versions.deprecate.mutate({
      pluginId: "old-widget",
      version: "1.1.0",
      message,
      replacement: "new-widget",
    });
    expect(result).toEqual({ pluginId: "old-widget", version: "1.1.0", deprecated: true });

    const plugin = await trpc(stack).plugins.get.query({ pluginId: "old-widget" });
    expect(plugin.versions.map((v) => [v.version, v.status, v.deprecationMessage, v.deprecationReplacement])).toEqual([
      ["1.0.0", "published", null, null],
      ["1.1.0", "published", message, "new-widget"],
    ]);

    const resolved = await trpc(stack).plugins.resolve.query({ pluginId: "old-widget", range: "latest" });
    expect(resolved).toMatchObject({ version: "1.1.0", deprecated: { message, replacement: "new-widget" } });
    const older = await trpc(stack).plugins.resolve.query({ pluginId: "old-widget", range: "1.0.0" });
    expect(older.deprecated).toBeNull();

    for (const path of [
      "/plugins/bundles/old-widget@latest",
      "/plugins/bundles/old-widget@^1.1.0/bundle.js",
      "/api/plugins/old-widget/bundle",
    ]) {
      const response = await getManual(`${stack.url}${path}`);
      expect(response.status, path).toBe(302);
      // Not printable ASCII (the dash): the RFC 8187 extended value of its UTF-8 bytes.
      expect(response.headers.get("x-plugin-deprecated"), path).toBe(
        "UTF-8''Ersetzt%20durch%20new-widget%20%E2%80%94%20please%20migrate",
      );
      expectCrossOrigin(response);
    }
    const notDeprecated = await getManual(`${stack.url}/plugins/bundles/old-widget@1.0.0`);
    expect(notDeprecated.headers.get("x-plugin-deprecated")).toBeNull();
  });

  it("keeps a deprecated version served, resolvable and installable", async () => {
    const served = await fetch(`${stack.url}/plugins/bundles/old-widget@latest`);
    expect(served.status).toBe(200);
    expect(await served.text()).toBe(bundleOf("old-widget", "1.1.0"));
    const installed = await install(stack, cast.alice, "acme", { pluginId: "old-widget" });
    expect(installed.status).toBe(201);
    expect(((await installed.json()) as { version: string }).version).toBe("1.1.0");
  });

  it("records the deprecation in the audit log", async () => {
    const { rows } = await stack.db.query(
      "select action, actor_id, details from audit_log where resource_id = 'old-widget@1.1.0' and action like '%deprecate' order by id",
    );
    expect(rows).toEqual([
      { action: "plugin_version.deprecate", actor_id: "alice", details: { message, replacement: "new-widget" } },
    ]);
  });

  it("lets only the owner or an admin deprecate, and only known versions", async () => {
    await expectTrpcError(
      trpc(stack, cast.bob).versions.deprecate.mutate({ pluginId: "old-widget", version: "1.0.0", message: "x" }),
      "FORBIDDEN",
      403,
    );
    await expectTrpcError(
      trpc(stack, cast.alice).versions.deprecate.mutate({ pluginId: "old-widget", version: "7.0.0", message: "x" }),
      "NOT_FOUND",
      404,
    );
    const plugin = await trpc(stack).plugins.get.query({ pluginId: "old-widget" });
    expect(plugin.versions.find((v) => v.version === "1.0.0")?.deprecationMessage).toBeNull();
  });

  it("lifts the deprecation with an empty message, replacement included", async () => {
    const result = await trpc(stack, cast.alice).versions.deprecate.mutate({
      pluginId: "old-widget",
      version: "1.1.0",
      message: "   ",
      replacement: "new-widget",
    });
    expect(result.deprecated).toBe(false);
    const { rows } = await stack.db.query(
      "select deprecation_message, deprecation_replacement from plugin_versions where plugin_id = 'old-widget' and version = '1.1.0'",
    );
    expect(rows).toEqual([{ deprecation_message: null, deprecation_replacement: null }]);
    expect((await trpc(stack).plugins.resolve.query({ pluginId: "old-widget" })).deprecated).toBeNull();
    const response = await getManual(`${stack.url}/plugins/bundles/old-widget@latest`);
    expect(response.status).toBe(302);
    expect(response.headers.get("x-plugin-deprecated")).toBeNull();
  });

  it("sends an ASCII message in X-Plugin-Deprecated as it is, readable", async () => {
    const ascii = "use new-widget 1.0 (same API, 100% compatible)";
    await trpc(stack, cast.alice).versions.deprecate.mutate({
      pluginId: "old-widget",
      version: "1.1.0",
      message: ascii,
    });
    const response = await getManual(`${stack.url}/plugins/bundles/old-widget@latest`);
    expect(response.status).toBe(302);
    expect(response.headers.get("x-plugin-deprecated")).toBe(ascii);
    await trpc(stack, cast.alice).versions.deprecate.mutate({
      pluginId: "old-widget",
      version: "1.1.0",
      message: "",
    });
  });
});

describe("yank", () => {
  beforeAll(async () => {
    await publishVersions("yankee", "0.9.0", "1.0.0", "1.1.0");
    await trpc(stack, cast.alice).tags.set.mutate({ pluginId: "yankee", tag: "beta", version: "1.1.0" });
    expect(await distTags("yankee")).toEqual({ latest: "1.1.0", beta: "1.1.0" });
  });

  it("refuses another editor (FORBIDDEN) and a viewer, and changes nothing", async () => {
    const before = await stored();
    for (const token of [cast.bob, cast.vera]) {
      await expectTrpcError(
        trpc(stack, token).versions.yank.mutate({ pluginId: "yankee", version: "1.1.0" }),
        "FORBIDDEN",
        403,
      );
    }
    expect(await stored()).toEqual(before);
    expect(await distTags("yankee")).toEqual({ latest: "1.1.0", beta: "1.1.0" });
  });

  it("lets the owner yank: the answer names the tags it took away", async () => {
    const result = await trpc(stack, cast.alice).versions.yank.mutate({
      pluginId: "yankee",
      version: "1.1.0",
      reason: "breaks checkout",
    });
    expect(result).toEqual({ pluginId: "yankee", version: "1.1.0", status: "yanked", removedTags: ["beta"] });
    const { rows } = await stack.db.query(
      "select status, status_reason from plugin_versions where plugin_id = 'yankee' and version = '1.1.0'",
    );
    expect(rows).toEqual([{ status: "yanked", status_reason: "breaks checkout" }]);
  });

  it("is no longer chosen by latest, by a range or by a tag", async () => {
    expect(await distTags("yankee")).toEqual({ latest: "1.0.0" });
    const api = trpc(stack);
    expect((await api.plugins.resolve.query({ pluginId: "yankee" })).version).toBe("1.0.0");
    expect((await api.plugins.resolve.query({ pluginId: "yankee", range: "^1.0.0" })).version).toBe("1.0.0");
    await expectTrpcError(api.plugins.resolve.query({ pluginId: "yankee", range: ">=1.1.0" }), "NOT_FOUND", 404);
    await expectTrpcError(api.plugins.resolve.query({ pluginId: "yankee", range: "beta" }), "NOT_FOUND", 404);
    expect(await floatingTarget("yankee@latest")).toBe("/plugins/bundles/yankee/v1.0.0/bundle.js");
    expect(await floatingTarget("yankee@~1.1.0 || ^1.0.0".replaceAll(" ", "%20"))).toBe(
      "/plugins/bundles/yankee/v1.0.0/bundle.js",
    );
    await expectError(await getManual(`${stack.url}/plugins/bundles/yankee@beta`), 404, "NOT_FOUND");
    const installed = await install(stack, cast.alice, "acme", { pluginId: "yankee", version: "^1.0.0" });
    expect(((await installed.json()) as { version: string }).version).toBe("1.0.0");
  });

  it("keeps serving its exact URL (200) and resolving its exact version for pinned users", async () => {
    const served = await fetch(`${stack.url}/plugins/bundles/yankee/v1.1.0/bundle.js`);
    expect(served.status).toBe(200);
    expect(await served.text()).toBe(bundleOf("yankee", "1.1.0"));
    const resolved = await trpc(stack).plugins.resolve.query({ pluginId: "yankee", range: "1.1.0" });
    expect(resolved).toMatchObject({
      version: "1.1.0",
      status: "yanked",
      bundlePath: "/plugins/bundles/yankee/v1.1.0/bundle.js",
    });
    expect(await floatingTarget("yankee@1.1.0")).toBe("/plugins/bundles/yankee/v1.1.0/bundle.js");
    const plugin = await trpc(stack).plugins.get.query({ pluginId: "yankee" });
    expect(plugin.versions.find((v) => v.version === "1.1.0")).toMatchObject({
      status: "yanked",
      bundlePath: "/plugins/bundles/yankee/v1.1.0/bundle.js",
    });
  });

  it("refuses yanking it twice (CONFLICT)", async () => {
    expect(
      await expectTrpcError(
        trpc(stack, cast.alice).versions.yank.mutate({ pluginId: "yankee", version: "1.1.0" }),
        "CONFLICT",
        409,
      ),
    ).toContain("yanked");
    await expectTrpcError(
      trpc(stack, cast.alice).versions.yank.mutate({ pluginId: "yankee", version: "5.0.0" }),
      "NOT_FOUND",
      404,
    );
  });

  it("lets an admin yank someone else's version", async () => {
    const result = await trpc(stack, cast.root).versions.yank.mutate({ pluginId: "yankee", version: "0.9.0" });
    expect(result.status).toBe("yanked");
    const { rows } = await stack.db.query(
      "select actor_id, actor_role from audit_log where resource_id = 'yankee@0.9.0' and action = 'plugin_version.yank'",
    );
    expect(rows).toEqual([{ actor_id: "root", actor_role: "admin" }]);
  });

  it("drops a hand-set latest pin on the yanked version and recomputes latest", async () => {
    await publishVersions("pin-yank", "1.0.0", "2.0.0");
    const api = trpc(stack, cast.alice);
    await api.tags.set.mutate({ pluginId: "pin-yank", tag: "latest", version: "1.0.0" });
    await api.versions.yank.mutate({ pluginId: "pin-yank", version: "1.0.0" });
    const { rows } = await stack.db.query(
      "select version, explicit from dist_tags where plugin_id = 'pin-yank' and tag = 'latest'",
    );
    expect(rows).toEqual([{ version: "2.0.0", explicit: false }]);
  });

  it("removes latest when every version is yanked: id@latest is then a 404", async () => {
    await publishVersions("all-yanked", "1.0.0");
    await trpc(stack, cast.alice).versions.yank.mutate({ pluginId: "all-yanked", version: "1.0.0" });
    expect(await distTags("all-yanked")).toEqual({});
    await expectError(await getManual(`${stack.url}/plugins/bundles/all-yanked@latest`), 404, "NOT_FOUND");
    expect((await fetch(`${stack.url}/plugins/bundles/all-yanked/v1.0.0/bundle.js`)).status).toBe(200);
  });
});

describe("block", () => {
  const FILES = ["plugin.json", "index.js", "chunks/a.js", "styles/main.css", "index.js.map", "logo.png"];
  const fileUrl = (version: string, path: string) => `${stack.url}/plugins/bundles/malware/v${version}/${path}`;

  beforeAll(async () => {
    for (const version of ["1.0.0", "1.1.0"]) {
      await publishFields(stack, {
        token: cast.alice,
        file: await tarGz(pluginFolder({ id: "malware", version }, version)),
      });
    }
    await trpc(stack, cast.alice).tags.set.mutate({ pluginId: "malware", tag: "beta", version: "1.1.0" });
    // Served, and so held in the gateway's memory and edge cache, before the block.
    for (const path of FILES) {
      for (let round = 0; round < 2; round++) {
        const response = await fetch(fileUrl("1.1.0", path));
        expect(response.status, path).toBe(200);
        await response.arrayBuffer();
      }
    }
    await sleep(300); // lets the edge-cache writes (waitUntil) land
  });

  it("is for admins only: the owning editor and others get FORBIDDEN, and nothing changes", async () => {
    const before = await stored();
    for (const token of [cast.alice, cast.bob, cast.vera]) {
      await expectTrpcError(
        trpc(stack, token).versions.block.mutate({ pluginId: "malware", version: "1.1.0", reason: "x" }),
        "FORBIDDEN",
        403,
      );
    }
    expect(await stored()).toEqual(before);
    expect((await fetch(fileUrl("1.1.0", "index.js"))).status).toBe(200);
  });

  it("requires a reason (BAD_REQUEST)", async () => {
    await expectTrpcError(
      trpc(stack, cast.root).versions.block.mutate({ pluginId: "malware", version: "1.1.0", reason: " " }),
      "BAD_REQUEST",
      400,
    );
  });

  it("lets an admin block: every file URL of the version answers 410 at once, with the envelope and CORS headers", async () => {
    const result = await trpc(stack, cast.root).versions.block.mutate({
      pluginId: "malware",
      version: "1.1.0",
      reason: "steals card numbers",
    });
    expect(result).toEqual({ pluginId: "malware", version: "1.1.0", status: "blocked", removedTags: ["beta"] });
    for (const path of FILES) {
      for (const method of ["GET", "HEAD"]) {
        const response = await fetch(fileUrl("1.1.0", path), { method });
        expect(response.status, `${method} ${path}`).toBe(410);
        expectCrossOrigin(response);
        expect(response.headers.get("cache-control")).toBe(NEGATIVE_LIVED);
        if (method === "GET") await expectError(response, 410, "GONE");
      }
    }
    // Another version of the plugin is untouched.
    expect((await fetch(fileUrl("1.0.0", "index.js"))).status).toBe(200);
  });

  it("deletes the version's objects from R2 and leaves a marker", async () => {
    expect(await objectKeys("malware/1.1.0/")).toEqual([]);
    expect(await objectKeys("malware/1.0.0/")).toHaveLength(FILES.length);
    expect(await stack.bucket.head("~blocked/malware/1.1.0")).not.toBeNull();
    const { rows } = await stack.db.query(
      "select status, status_reason from plugin_versions where plugin_id = 'malware' and version = '1.1.0'",
    );
    expect(rows).toEqual([{ status: "blocked", status_reason: "steals card numbers" }]);
  });

  it("never resolves it again: tRPC answers GONE (410), the REST floating URL 410", async () => {
    const error = await trpcError(trpc(stack).plugins.resolve.query({ pluginId: "malware", range: "1.1.0" }));
    expect(error.data).toMatchObject({ code: "GONE", httpStatus: 410 });
    expect(error.data).not.toHaveProperty("gone");
    // On the wire: status 410, and NOT_FOUND's JSON-RPC number (tRPC has none for GONE).
    const input = encodeURIComponent(JSON.stringify({ pluginId: "malware", range: "1.1.0" }));
    const raw = await fetch(`${stack.url}/trpc/plugins.resolve?input=${input}`);
    expect(raw.status).toBe(410);
    const body = (await raw.json()) as { error: { code: number; data: Record<string, unknown> } };
    expect(body.error.code).toBe(-32004);
    expect(body.error.data).toMatchObject({
      code: "GONE",
      httpStatus: 410,
      requestId: raw.headers.get("x-request-id"),
    });
    expect(body.error.data).not.toHaveProperty("gone");

    for (const path of ["/plugins/bundles/malware@1.1.0", "/plugins/bundles/malware@1.1.0/chunks/a.js"]) {
      const response = await getManual(`${stack.url}${path}`);
      expectCrossOrigin(response);
      expect(response.headers.get("cache-control")).toBe(NEGATIVE_LIVED);
      await expectError(response, 410, "GONE");
    }
    expect(await distTags("malware")).toEqual({ latest: "1.0.0" });
    expect(await floatingTarget("malware@^1.0.0")).toBe("/plugins/bundles/malware/v1.0.0/index.js");
    await expectTrpcError(trpc(stack).plugins.resolve.query({ pluginId: "malware", range: "beta" }), "NOT_FOUND", 404);
    const versionError = await trpcError(trpc(stack).versions.get.query({ pluginId: "malware", version: "1.1.0" }));
    expect(versionError.data).toMatchObject({ code: "GONE", httpStatus: 410 });
    await expectError(
      await install(stack, cast.alice, "acme", { pluginId: "malware", version: "1.1.0", instanceId: "m" }),
      410,
      "GONE",
    );
  });

  it("shows it in plugins.get with bundlePath null", async () => {
    const plugin = await trpc(stack).plugins.get.query({ pluginId: "malware" });
    expect(plugin.versions.map((v) => [v.version, v.status, v.bundlePath])).toEqual([
      ["1.0.0", "published", "/plugins/bundles/malware/v1.0.0/index.js"],
      ["1.1.0", "blocked", null],
    ]);
  });

  it("refuses blocking it twice (CONFLICT) and audits the block once", async () => {
    await expectTrpcError(
      trpc(stack, cast.root).versions.block.mutate({ pluginId: "malware", version: "1.1.0", reason: "again" }),
      "CONFLICT",
      409,
    );
    const { rows } = await stack.db.query(
      "select actor_id, details from audit_log where resource_id = 'malware@1.1.0' and action = 'plugin_version.block'",
    );
    expect(rows).toEqual([
      { actor_id: "root", details: { reason: "steals card numbers", removedTags: ["beta"], files: FILES.length } },
    ]);
  });

  it("purges the gateway's caches when the block comes through a batch-link tRPC client too", async () => {
    const id = "malware-batch";
    await publishFields(stack, { token: cast.alice, file: await tarGz(pluginFolder({ id, version: "1.0.0" })) });
    const url = `${stack.url}/plugins/bundles/${id}/v1.0.0/index.js`;
    for (let round = 0; round < 2; round++) expect((await fetch(url)).status).toBe(200);
    await sleep(300);
    await trpc(stack, cast.root, { link: "batch" }).versions.block.mutate({
      pluginId: id,
      version: "1.0.0",
      reason: "bad",
    });
    expect((await fetch(url)).status).toBe(410);
  });

  it("refuses a block sent over a streaming link, whose purge could not reach the gateway, changing nothing", async () => {
    const id = "malware-stream";
    await publishFields(stack, { token: cast.alice, file: await tarGz(pluginFolder({ id, version: "1.0.0" })) });
    const url = `${stack.url}/plugins/bundles/${id}/v1.0.0/index.js`;
    // As once on a busy machine: counted downloads are written in the background, by the timer of
    // each GET's batch, 10 s after it, while the block may be refused (see `stored`).
    expect((await fetch(url)).status).toBe(200);
    await sleep(10_500);
    expect((await fetch(url)).status).toBe(200);
    const before = await stored();
    await expectTrpcError(
      trpc(stack, cast.root, { link: "stream" }).versions.block.mutate({
        pluginId: id,
        version: "1.0.0",
        reason: "bad",
      }),
      "BAD_REQUEST",
      400,
    );
    expect(await stored()).toEqual(before);
    expect((await fetch(url)).status).toBe(200);
  }, 40_000);
});

describe("plugins.get", () => {
  it("answers an unknown plugin with NOT_FOUND", async () => {
    await expectTrpcError(trpc(stack).plugins.get.query({ pluginId: "nobody-published-this" }), "NOT_FOUND", 404);
  });

  it("lists versions oldest first with their entry's immutable path and the sizes", async () => {
    const plugin = await trpc(stack).plugins.get.query({ pluginId: "yankee" });
    expect(plugin.versions.map((v) => v.version)).toEqual(["0.9.0", "1.0.0", "1.1.0"]);
    const first = plugin.versions[0];
    expect(first).toMatchObject({
      entry: "bundle.js",
      fileCount: 1,
      size: utf8(bundleOf("yankee", "0.9.0")).byteLength,
      integrity: expect.stringMatching(/^sha384-/),
    });
  });
});
