/**
 * The package document, `GET /api/plugins/:id` (npm's packument): what it holds, that every
 * write shows in the next read, and its conditional GET.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginFolder, publishFields, tarGz } from "./archive-fixtures";
import { expectNothingChanged } from "./attack-helpers";
import { type Cast, mintCast } from "./cast";
import { expectError, expectTrpcError, pluginMetadata, publish, sriSha384, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
});
afterAll(() => stack?.stop());

const documentUrl = (id: string) => `${stack.url}/api/plugins/${id}`;

async function packageDocument(id: string, headers: Record<string, string> = {}) {
  const response = await fetch(documentUrl(id), { headers });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  expect(response.headers.get("cache-control")).toBe("public, no-cache");
  return { etag: response.headers.get("etag") ?? "", document: JSON.parse(text) };
}

describe("GET /api/plugins/:id", () => {
  beforeAll(async () => {
    const folder = pluginFolder({ id: "doc-widget", version: "1.0.0", license: "MIT", engines: { host: "^2.0.0" } });
    await publishFields(stack, { token: cast.alice, file: await tarGz(folder), fileName: "doc-widget.tgz" });
    const listing = { id: "doc-widget", name: "Multi File", category: "ui" };
    await publish(stack, cast.alice, pluginMetadata({ ...listing, version: "1.1.0", license: "MIT" }));
    // The newest version has no license; the document shows the license of `latest`.
    await publish(stack, cast.alice, pluginMetadata({ ...listing, version: "2.0.0-beta.1" }));
  });

  it("holds dist-tags and every version with its entry, integrity, engines and files, paths only", async () => {
    const { document } = await packageDocument("doc-widget");
    expect(document).toMatchObject({
      id: "doc-widget",
      name: "Multi File",
      category: "ui",
      license: "MIT",
      distTags: { latest: "1.1.0" },
      created: expect.any(String),
    });
    expect(Object.keys(document.versions)).toEqual(["1.0.0", "1.1.0", "2.0.0-beta.1"]);
    const first = document.versions["1.0.0"];
    const index = pluginFolder({ id: "doc-widget", version: "1.0.0" }).find((file) => file.path === "index.js");
    expect(first).toMatchObject({
      status: "published",
      deprecated: null,
      engines: { host: "^2.0.0" },
      entry: "index.js",
      bundlePath: "/plugins/bundles/doc-widget/v1.0.0/index.js",
      fileCount: 6,
    });
    expect(first.integrity).toBe(sriSha384(index?.bytes ?? ""));
    expect(first.files.map((file: { path: string }) => file.path)).toEqual([
      "chunks/a.js",
      "index.js",
      "index.js.map",
      "logo.png",
      "plugin.json",
      "styles/main.css",
    ]);
    expect(first.files[1]).toEqual({
      path: "index.js",
      size: index?.bytes.byteLength,
      contentType: "text/javascript; charset=utf-8",
      integrity: first.integrity,
    });
    expect(document.versions["1.1.0"].engines).toBeNull();
    expect(JSON.stringify(document)).not.toContain(stack.url);
  });

  it("answers the same body over tRPC (plugins.document)", async () => {
    const { etag, document } = await packageDocument("doc-widget");
    expect(await trpc(stack).plugins.document.query({ pluginId: "doc-widget" })).toEqual({ etag, document });
  });

  it("answers 304 with no body for its strong ETag, and 200 for another or a weak one", async () => {
    const { etag } = await packageDocument("doc-widget");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const revalidated = await fetch(documentUrl("doc-widget"), { headers: { "if-none-match": etag } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe("");
    expect(revalidated.headers.get("etag")).toBe(etag);
    expect(revalidated.headers.get("cache-control")).toBe("public, no-cache");
    await packageDocument("doc-widget", { "if-none-match": '"0123456789abcdef0123456789abcdef"' });
    // Longer than any validator list the procedure takes: not used, a plain 200.
    await packageDocument("doc-widget", { "if-none-match": `${etag}, ${'"x", '.repeat(400)}"y"` });
  });

  it("shows each write in the very next read, with a new ETag: tag, deprecate, yank, block", async () => {
    const api = trpc(stack, cast.alice);
    const seen = new Set([(await packageDocument("doc-widget")).etag]);
    const next = async () => {
      const read = await packageDocument("doc-widget");
      expect(seen.has(read.etag)).toBe(false);
      seen.add(read.etag);
      return read.document;
    };

    await api.tags.set.mutate({ pluginId: "doc-widget", tag: "beta", version: "2.0.0-beta.1" });
    expect((await next()).distTags).toEqual({ beta: "2.0.0-beta.1", latest: "1.1.0" });

    await api.versions.deprecate.mutate({ pluginId: "doc-widget", version: "1.0.0", message: "use 1.1" });
    expect((await next()).versions["1.0.0"].deprecated).toEqual({ message: "use 1.1", replacement: null });

    await api.versions.yank.mutate({ pluginId: "doc-widget", version: "1.1.0" });
    const yanked = await next();
    expect(yanked.versions["1.1.0"].status).toBe("yanked");
    expect(yanked.distTags.latest).toBe("1.0.0");

    await trpc(stack, cast.root).versions.block.mutate({ pluginId: "doc-widget", version: "1.0.0", reason: "malware" });
    const blocked = await next();
    expect(blocked.versions["1.0.0"]).toEqual({ status: "blocked", publishedAt: expect.any(String) });
  });

  it("answers an unknown plugin 404 and an id that is not one 400, changing nothing", async () => {
    await expectNothingChanged(stack, async () => {
      expect(await expectError(await fetch(documentUrl("no-such-plugin")), 404, "NOT_FOUND")).toMatch(/no-such-plugin/);
      // A route word of POST /api/plugins/upload: no new plugin may take it, so this reads as no plugin.
      expect(await expectError(await fetch(documentUrl("upload")), 404, "NOT_FOUND")).toMatch(/'upload'/);
      expect(await expectError(await fetch(documentUrl("Not_An_Id")), 400, "BAD_REQUEST")).toMatch(/^id: /);
      expect(await expectError(await fetch(documentUrl("a".repeat(300))), 400, "BAD_REQUEST")).toMatch(/^id: /);
      await expectTrpcError(trpc(stack).plugins.document.query({ pluginId: "no-such-plugin" }), "NOT_FOUND", 404);
    });
  });
});
