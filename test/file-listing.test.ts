/**
 * One version's file listing, `GET /plugins/bundles/:id/v:version/[dir/]?meta` (unpkg's `?meta`):
 * what it lists, its conditional GET and cache, its misses, and the read budget it spends.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pluginFolder, publishFields, tarGz } from "./archive-fixtures";
import { type Cast, mintCast } from "./cast";
import {
  expectCrossOrigin,
  expectError,
  NEGATIVE_LIVED,
  roomInRateLimitWindow,
  SHORT_LIVED,
  sriSha384,
  trpc,
} from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  for (const version of ["1.0.0", "1.1.0"]) {
    await publishFields(stack, {
      token: cast.alice,
      file: await tarGz(pluginFolder({ id: "lister", version }, version)),
    });
  }
});
afterAll(() => stack?.stop());

const listingUrl = (version: string, directory = "") =>
  `${stack.url}/plugins/bundles/lister/v${version}/${directory}?meta`;

async function listing(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  return { response, body: JSON.parse(text) };
}

describe("GET /plugins/bundles/:id/v:version/?meta", () => {
  it("lists every file of the version, nested ones too, with size, content type and SRI as published", async () => {
    const { body } = await listing(listingUrl("1.0.0"));
    const folder = pluginFolder({ id: "lister", version: "1.0.0" }, "1.0.0");
    expect(Object.keys(body)).toEqual(["pluginId", "version", "status", "prefix", "files"]);
    expect(body).toMatchObject({ pluginId: "lister", version: "1.0.0", status: "published", prefix: "/" });
    expect(body.files.map((file: { path: string }) => file.path)).toEqual([
      "/chunks/a.js",
      "/index.js",
      "/index.js.map",
      "/logo.png",
      "/plugin.json",
      "/styles/main.css",
    ]);
    const chunk = folder.find((file) => file.path === "chunks/a.js");
    expect(body.files[0]).toEqual({
      path: "/chunks/a.js",
      size: chunk?.bytes.byteLength,
      contentType: "text/javascript; charset=utf-8",
      integrity: sriSha384(chunk?.bytes ?? ""),
    });
    expect(body.files[3]).toMatchObject({ path: "/logo.png", contentType: "image/png" });
  });

  it("holds the same files as the package document, under paths from the version's root", async () => {
    const { body } = await listing(listingUrl("1.1.0"));
    const document = await (await fetch(`${stack.url}/api/plugins/lister`)).json();
    const files = document.versions["1.1.0"].files.map((file: { path: string }) => ({
      ...file,
      path: `/${file.path}`,
    }));
    expect(body.files).toEqual(files);
    expect(body.version).toBe("1.1.0");
  });

  it.each([
    ["chunks/", ["/chunks/a.js"]],
    ["styles/", ["/styles/main.css"]],
  ])("lists only the files under a directory: %s", async (directory, paths) => {
    const { body } = await listing(listingUrl("1.0.0", directory));
    expect(body.prefix).toBe(`/${directory}`);
    expect(body.files.map((file: { path: string }) => file.path)).toEqual(paths);
  });

  it("answers with CORS headers, a short public cache and a strong ETag", async () => {
    const { response } = await listing(listingUrl("1.0.0"));
    expectCrossOrigin(response);
    expect(response.headers.get("cache-control")).toBe(SHORT_LIVED);
    expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    // The directory's listing is another answer, with another ETag.
    const { response: directory } = await listing(listingUrl("1.0.0", "chunks/"));
    expect(directory.headers.get("etag")).not.toBe(response.headers.get("etag"));
  });

  it("answers 304 with no body for its ETag, with the same headers, and 200 for another ETag", async () => {
    const { response } = await listing(listingUrl("1.0.0"));
    const etag = response.headers.get("etag") ?? "";
    const revalidated = await fetch(listingUrl("1.0.0"), { headers: { "if-none-match": etag } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe("");
    expect(revalidated.headers.get("etag")).toBe(etag);
    expect(revalidated.headers.get("cache-control")).toBe(SHORT_LIVED);
    expectCrossOrigin(revalidated);
    await listing(listingUrl("1.0.0"), { headers: { "if-none-match": '"0123456789abcdef0123456789abcdef"' } });
  });

  it("keeps its ETag across a write that does not change the listing (a tag)", async () => {
    const before = (await listing(listingUrl("1.0.0"))).response.headers.get("etag");
    await trpc(stack, cast.alice).tags.set.mutate({ pluginId: "lister", tag: "stable", version: "1.0.0" });
    expect((await listing(listingUrl("1.0.0"))).response.headers.get("etag")).toBe(before);
  });

  it("answers HEAD with the GET's headers and no body", async () => {
    const { response, body } = await listing(listingUrl("1.0.0"));
    const head = await fetch(listingUrl("1.0.0"), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect(head.headers.get("etag")).toBe(response.headers.get("etag"));
    expect(head.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(head.headers.get("content-length")).toBe(String(Buffer.byteLength(JSON.stringify(body))));
    expect(head.headers.get("cache-control")).toBe(SHORT_LIVED);
    expectCrossOrigin(head);
  });

  it.each([
    ["an unknown plugin", "/plugins/bundles/nobody/v1.0.0/?meta", /nobody/],
    ["an unknown version", "/plugins/bundles/lister/v9.9.9/?meta", /no version 9\.9\.9/],
    [
      "a directory with no files",
      "/plugins/bundles/lister/v1.0.0/nothing/here/?meta",
      /no files under \/nothing\/here\//,
    ],
    ["a file name as a directory", "/plugins/bundles/lister/v1.0.0/index.js/?meta", /no files under \/index\.js\//],
    ["the start of a name, not a directory", "/plugins/bundles/lister/v1.0.0/ind/?meta", /no files under \/ind\//],
    ["a malformed plugin id", "/plugins/bundles/NOT-AN-ID/v1.0.0/?meta", /No such plugin/],
    ["a malformed version", "/plugins/bundles/lister/vnext/?meta", /exact version/],
    ["a range as the version", "/plugins/bundles/lister/v1.x/?meta", /exact version/],
    ["an empty segment in the directory", "/plugins/bundles/lister/v1.0.0/chunks//?meta", /plain name/],
    ["a '..' in the directory", "/plugins/bundles/lister/v1.0.0/chunks%2F../?meta", /plain name/],
  ])("answers 404 in the envelope, briefly cacheable, for %s", async (_, path, message) => {
    for (const method of ["GET", "HEAD"]) {
      const response = await fetch(`${stack.url}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expectCrossOrigin(response);
      expect(response.headers.get("cache-control")).toBe(NEGATIVE_LIVED);
      if (method === "GET") expect(await expectError(response, 404, "NOT_FOUND")).toMatch(message);
    }
  });

  it("leaves a directory URL without ?meta as it was: 404, no listing", async () => {
    for (const path of ["/plugins/bundles/lister/v1.0.0/", "/plugins/bundles/lister/v1.0.0/chunks/"]) {
      const response = await fetch(`${stack.url}${path}`);
      expect(await expectError(response, 404, "NOT_FOUND")).toBe("No such bundle file");
      expect(response.headers.get("cache-control")).toBe(NEGATIVE_LIVED);
    }
  });

  it("leaves a file URL with ?meta as it was: the file itself", async () => {
    const response = await fetch(`${stack.url}/plugins/bundles/lister/v1.0.0/chunks/a.js?meta`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('export const chunk = "lazy 1.0.0";\n');
  });

  it("answers 410 GONE once the version is blocked, briefly cacheable, and still lists the other version", async () => {
    await listing(listingUrl("1.1.0"));
    await trpc(stack, cast.root).versions.block.mutate({ pluginId: "lister", version: "1.1.0", reason: "malware" });
    for (const directory of ["", "chunks/"]) {
      const response = await fetch(listingUrl("1.1.0", directory));
      expectCrossOrigin(response);
      expect(response.headers.get("cache-control")).toBe(NEGATIVE_LIVED);
      expect(await expectError(response, 410, "GONE")).toBe("lister@1.1.0 was blocked");
    }
    await listing(listingUrl("1.0.0"));
  });

  it("still lists a yanked version, as its files are still served, with its status and a new ETag", async () => {
    const before = (await listing(listingUrl("1.0.0"))).response.headers.get("etag");
    await trpc(stack, cast.alice).versions.yank.mutate({ pluginId: "lister", version: "1.0.0" });
    const { response, body } = await listing(listingUrl("1.0.0"));
    expect(body.status).toBe("yanked");
    expect(body.files).toHaveLength(6);
    expect(response.headers.get("etag")).not.toBe(before);
  });
});

describe("the read budget", () => {
  let limited: Stack;
  beforeAll(async () => {
    limited = await startStack({ rateLimits: { read: 3 } });
  });
  afterAll(() => limited?.stop());
  beforeEach(() => roomInRateLimitWindow(60, 12));

  it("spends it like a floating reference: a guest's fourth read is refused 429, uncacheable, with CORS headers", async () => {
    const headers = { "cf-connecting-ip": "198.51.100.90" };
    for (let sent = 0; sent < 3; sent++) {
      const response = await fetch(`${limited.url}/plugins/bundles/nobody/v1.0.0/?meta`, { headers });
      expect(response.status).toBe(404);
      await response.arrayBuffer();
    }
    const refused = await fetch(`${limited.url}/plugins/bundles/nobody/v1.0.0/?meta`, { headers });
    expect(await expectError(refused, 429, "TOO_MANY_REQUESTS")).toMatch(/Too many requests/);
    expect(refused.headers.get("cache-control")).toBe("no-store");
    expectCrossOrigin(refused);
    // The same budget as the API's reads.
    expect((await fetch(`${limited.url}/trpc/health.check`, { headers })).status).toBe(429);
  });
});
