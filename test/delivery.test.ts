/**
 * Edge delivery: conditional and range requests on the immutable path, the headers
 * every answer carries, repeat requests answered by the gateway alone, and floating
 * references (`id@tag`, `id@range`) redirected afresh on every request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MiB, pluginFolder, publishFields, tarGz, utf8 } from "./archive-fixtures";
import { mintCast } from "./cast";
import {
  expectCrossOrigin,
  expectError,
  getManual,
  IMMUTABLE,
  NEGATIVE_LIVED,
  pluginMetadata,
  present,
  publish,
  SHORT_LIVED,
  sleep,
  trpc,
} from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let alice: string;
let admin: string;

beforeAll(async () => {
  stack = await startStack();
  ({ alice, root: admin } = await mintCast(stack));
  await publishFields(stack, { token: alice, file: await tarGz(pluginFolder({ id: "deliver", version: "1.0.0" })) });
});
afterAll(() => stack?.stop());

const FOLDER = pluginFolder({ id: "deliver", version: "1.0.0" });
const bytesOf = (path: string) => present(FOLDER.find((file) => file.path === path)?.bytes, path);
const fileUrl = (path: string, version = "1.0.0", id = "deliver") =>
  `${stack.url}/plugins/bundles/${id}/v${version}/${path}`;
/** Sent on every request whose headers are asserted: a compressed answer has no Content-Length. */
const IDENTITY = { "accept-encoding": "identity" };

async function etagOf(key: string): Promise<string> {
  return present(await stack.bucket.head(key), key).httpEtag;
}

describe("conditional requests on the exact path", () => {
  it("answers a matching If-None-Match with 304, no body, the same ETag and the bundle headers", async () => {
    const first = await fetch(fileUrl("index.js"), { headers: IDENTITY });
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const etag = present(first.headers.get("etag"), "etag");
    expect(etag).toBe(await etagOf("deliver/1.0.0/index.js"));

    for (const cacheControl of ["max-age=0", "no-cache"]) {
      const response = await fetch(fileUrl("index.js"), {
        headers: { ...IDENTITY, "if-none-match": etag, "cache-control": cacheControl, pragma: cacheControl },
      });
      expect(response.status, `cache-control: ${cacheControl}`).toBe(304);
      expect(response.headers.get("etag")).toBe(etag);
      expect(response.headers.get("cache-control")).toBe(IMMUTABLE);
      expectCrossOrigin(response);
      expect((await response.arrayBuffer()).byteLength).toBe(0);
    }
  });

  it("answers 304 on the first request for a file too, before anything is cached", async () => {
    const etag = await etagOf("deliver/1.0.0/chunks/a.js");
    const response = await fetch(fileUrl("chunks/a.js"), {
      headers: { "if-none-match": etag, "cache-control": "max-age=0" },
    });
    expect(response.status).toBe(304);
    expectCrossOrigin(response);
  });

  it("matches weak ETags and lists, and answers 200 with the body when nothing matches", async () => {
    const etag = await etagOf("deliver/1.0.0/index.js");
    const headers = (ifNoneMatch: string) => ({ "if-none-match": ifNoneMatch, "cache-control": "max-age=0" });
    expect((await fetch(fileUrl("index.js"), { headers: headers(`W/${etag}`) })).status).toBe(304);
    expect((await fetch(fileUrl("index.js"), { headers: headers(`"nope", ${etag}`) })).status).toBe(304);
    expect((await fetch(fileUrl("index.js"), { headers: headers("*") })).status).toBe(304);
    const miss = await fetch(fileUrl("index.js"), { headers: headers('"0123456789abcdef"') });
    expect(miss.status).toBe(200);
    expect(Buffer.from(await miss.arrayBuffer()).equals(Buffer.from(bytesOf("index.js")))).toBe(true);
  });
});

describe("range requests on the exact path", () => {
  it("answers Range: bytes=0-9 with 206, the first ten bytes and Content-Range", async () => {
    const bytes = bytesOf("index.js");
    const response = await fetch(fileUrl("index.js"), { headers: { ...IDENTITY, range: "bytes=0-9" } });
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe(`bytes 0-9/${bytes.byteLength}`);
    expect(response.headers.get("content-length")).toBe("10");
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expectCrossOrigin(response);
    expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(bytes.subarray(0, 10)))).toBe(true);
  });

  it("answers a range on the first request for a file, and suffix ranges, from the right bytes", async () => {
    const png = bytesOf("logo.png");
    const first = await fetch(fileUrl("logo.png"), { headers: { range: "bytes=8-15" } });
    expect(first.status).toBe(206);
    expect(first.headers.get("content-range")).toBe(`bytes 8-15/${png.byteLength}`);
    expect(Buffer.from(await first.arrayBuffer()).equals(Buffer.from(png.subarray(8, 16)))).toBe(true);
    const suffix = await fetch(fileUrl("logo.png"), { headers: { range: "bytes=-4" } });
    expect(suffix.status).toBe(206);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(Buffer.from(png.subarray(-4)))).toBe(true);
  });

  it("answers an unsatisfiable range with 416 and Content-Range bytes */size", async () => {
    const size = bytesOf("index.js").byteLength;
    const response = await fetch(fileUrl("index.js"), { headers: { range: `bytes=${size + 100}-` } });
    expect(response.status).toBe(416);
    expect(response.headers.get("content-range")).toBe(`bytes */${size}`);
    expectCrossOrigin(response);
    await response.arrayBuffer();
  });

  it("marks an unsatisfiable range no-store, not immutable, so no cache keeps the refusal", async () => {
    const response = await fetch(fileUrl("index.js"), { headers: { range: "bytes=999999-" } });
    expect(response.status).toBe(416);
    expect(response.headers.get("cache-control")).toBe("no-store");
    await response.arrayBuffer();
  });

  it("ignores a range whose If-Range names another ETag (200, whole file)", async () => {
    const response = await fetch(fileUrl("index.js"), {
      headers: { ...IDENTITY, range: "bytes=0-9", "if-range": '"stale"' },
    });
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBe(bytesOf("index.js").byteLength);
  });
});

describe("HEAD and the headers of every answer", () => {
  it("answers HEAD with the GET headers and no body", async () => {
    const response = await fetch(fileUrl("styles/main.css"), { method: "HEAD", headers: IDENTITY });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(response.headers.get("content-length")).toBe(String(bytesOf("styles/main.css").byteLength));
    expect(response.headers.get("etag")).toBe(await etagOf("deliver/1.0.0/styles/main.css"));
    expect(response.headers.get("cache-control")).toBe(IMMUTABLE);
    expectCrossOrigin(response);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it("puts the cross-origin headers on 200, 206, 304, 404, 410, 302 and 400 answers alike", async () => {
    const etag = await etagOf("deliver/1.0.0/index.js");
    await publish(stack, alice, pluginMetadata({ id: "doomed", version: "1.0.0" }), "export const doomed = 1;\n");
    await trpc(stack, admin).versions.block.mutate({ pluginId: "doomed", version: "1.0.0", reason: "malware" });
    const answers: [number, string, RequestInit][] = [
      [200, fileUrl("index.js"), {}],
      [206, fileUrl("index.js"), { headers: { range: "bytes=0-0" } }],
      [304, fileUrl("index.js"), { headers: { "if-none-match": etag, "cache-control": "max-age=0" } }],
      [404, fileUrl("index.js", "9.9.9"), {}],
      [404, fileUrl("missing.js"), {}],
      [410, fileUrl("bundle.js", "1.0.0", "doomed"), {}],
      [302, `${stack.url}/plugins/bundles/deliver@latest`, {}],
      [400, `${stack.url}/plugins/bundles/deliver@^^1`, {}],
    ];
    for (const [status, url, init] of answers) {
      const response = await getManual(url, init);
      expect(response.status, url).toBe(status);
      expectCrossOrigin(response);
      expect(response.headers.get("access-control-expose-headers")).toContain("etag");
      await response.arrayBuffer();
    }
  });
});

describe("a repeated GET is answered without the plugins worker", () => {
  it("serves the same bytes after the R2 object is gone (memory / edge cache), ranges and HEAD included", async () => {
    const source = "export const cached = 'yes, from the gateway';\n";
    const body = await publish(stack, alice, pluginMetadata({ id: "offline", version: "1.0.0" }), source);
    const first = await fetch(body.bundleUrl);
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag");
    expect(await first.text()).toBe(source);
    await sleep(200); // the edge-cache write runs after the answer (waitUntil)

    await stack.bucket.delete("offline/1.0.0/bundle.js");
    expect(await stack.bucket.head("offline/1.0.0/bundle.js")).toBeNull();

    const again = await fetch(body.bundleUrl);
    expect(again.status).toBe(200);
    expect(again.headers.get("etag")).toBe(etag);
    expect(again.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await again.text()).toBe(source);
    const head = await fetch(body.bundleUrl, { method: "HEAD" });
    expect(head.status).toBe(200);
    const range = await fetch(body.bundleUrl, { headers: { range: "bytes=0-5" } });
    expect(range.status).toBe(206);
    expect(await range.text()).toBe(source.slice(0, 6));
  });

  it("also for a file too large for the gateway's memory (1.5 MiB, served from the edge cache)", async () => {
    const source = `// large\n${"export const pad = 'x';\n".repeat(Math.ceil((1.5 * MiB) / 24))}`;
    expect(utf8(source).byteLength).toBeGreaterThan(MiB);
    const body = await publish(stack, alice, pluginMetadata({ id: "large", version: "1.0.0" }), source);
    const first = await fetch(body.bundleUrl);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe(source);
    await sleep(500);

    await stack.bucket.delete("large/1.0.0/bundle.js");
    const again = await fetch(body.bundleUrl);
    expect(again.status).toBe(200);
    expect(await again.text()).toBe(source);
  });
});

describe("a file held in memory is reached only by its own URL", () => {
  it("answers the same file under percent-encoded path segments, as the router reads them", async () => {
    const source = "export const encoded = true;\n";
    await publish(stack, alice, pluginMetadata({ id: "encoded", version: "1.0.0" }), source);
    const plain = `${stack.url}/plugins/bundles/encoded/v1.0.0/bundle.js`;
    expect(await (await fetch(plain)).text()).toBe(source);
    const encoded = await fetch(`${stack.url}/plugins/bundles/%65ncoded/v1.0.0/bundle%2Ejs`);
    expect(encoded.status).toBe(200);
    expect(await encoded.text()).toBe(source);
  });

  it.each([
    ["slashes encoded into one segment", "/plugins/bundles/encoded%2Fv1.0.0%2Fbundle.js"],
    ["a slash encoded inside the plugin id", "/plugins/bundles/encoded%2F1.0.0/v1.0.0/bundle.js"],
    ["the slash after the version encoded", "/plugins/bundles/encoded/v1.0.0%2Fbundle.js"],
    ["a malformed escape", "/plugins/bundles/encoded/v1.0.0/bundle%E0.js"],
  ])("answers %s 404, warm or cold", async (_, path) => {
    // Warm the memory first: a hit must not depend on how a URL decodes.
    expect((await fetch(`${stack.url}/plugins/bundles/encoded/v1.0.0/bundle.js`)).status).toBe(200);
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await getManual(`${stack.url}${path}`);
      expect(response.status).toBe(404);
      await response.body?.cancel();
    }
  });
});

describe("floating references", () => {
  beforeAll(async () => {
    for (const version of ["1.0.0", "1.1.0", "2.0.0"]) {
      await publishFields(stack, { token: alice, file: await tarGz(pluginFolder({ id: "floaty", version }, version)) });
    }
    await publishFields(stack, {
      token: alice,
      file: await tarGz(pluginFolder({ id: "floaty", version: "3.0.0-beta.1" }, "beta")),
      tag: "beta",
    });
  });

  /** A path, not a URL: `it.each` tables are built before the stack starts. */
  const target = (version: string, path = "index.js") => `/plugins/bundles/floaty/v${version}/${path}`;

  it.each([
    ["floaty@latest", target("2.0.0")],
    ["floaty@latest/chunks/a.js", target("2.0.0", "chunks/a.js")],
    ["floaty@beta", target("3.0.0-beta.1")],
    ["floaty@beta/styles/main.css", target("3.0.0-beta.1", "styles/main.css")],
    ["floaty@^1.0.0", target("1.1.0")],
    ["floaty@%5E1.0.0", target("1.1.0")],
    ["floaty@%5E1.0.0/chunks/a.js", target("1.1.0", "chunks/a.js")],
    ["floaty@~1.0.0", target("1.0.0")],
    ["floaty@1.x", target("1.1.0")],
    ["floaty@1.0.0", target("1.0.0")],
    ["floaty@v1.0.0/logo.png", target("1.0.0", "logo.png")],
    ["floaty@%3E%3D1.0.0%20%3C2.0.0", target("1.1.0")],
    ["floaty@*", target("2.0.0")],
  ])("redirects %s with 302 to its exact URL, briefly cacheable", async (reference, location) => {
    for (const method of ["GET", "HEAD"]) {
      const response = await getManual(`${stack.url}/plugins/bundles/${reference}`, { method });
      expect(response.status, `${method} ${await response.clone().text()}`).toBe(302);
      expect(response.headers.get("location")).toBe(`${stack.url}${location}`);
      expect(response.headers.get("cache-control")).toBe(SHORT_LIVED);
      expectCrossOrigin(response);
    }
  });

  it("lands on the entry file's bytes when followed", async () => {
    const response = await fetch(`${stack.url}/plugins/bundles/floaty@%5E1.0.0`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("variant 1.1.0");
  });

  it.each([
    ["an unknown plugin", "no-such-plugin@latest", 404, "NOT_FOUND"],
    ["an unknown plugin with a range", "no-such-plugin@^1.0.0/index.js", 404, "NOT_FOUND"],
    ["a range no version satisfies", "floaty@^9.0.0", 404, "NOT_FOUND"],
    ["a range only a prerelease would satisfy", "floaty@>=3.0.0", 404, "NOT_FOUND"],
    ["an unknown tag", "floaty@nightly", 404, "NOT_FOUND"],
    ["an unknown exact version", "floaty@1.0.1", 404, "NOT_FOUND"],
    ["an invalid reference", "floaty@^^1", 400, "BAD_REQUEST"],
    ["a reference that is neither tag nor range", "floaty@not%20a%20range!", 400, "BAD_REQUEST"],
    ["an empty reference", "floaty@", 400, "BAD_REQUEST"],
    ["an invalid plugin id", "Floaty@latest", 404, "NOT_FOUND"],
    ["an encoded traversal in the path", "floaty@latest/%2E%2E%2Fsecret.js", 404, "NOT_FOUND"],
  ])("answers %s (%s) with its status, the envelope and a 10-second cache", async (_, reference, status, code) => {
    const response = await getManual(`${stack.url}/plugins/bundles/${reference}`);
    expect(response.headers.get("cache-control")).toBe(NEGATIVE_LIVED);
    expectCrossOrigin(response);
    await expectError(response, status, code);
  });

  it("shows a publish on the very next floating request (no stale cache in the worker)", async () => {
    await publish(stack, alice, pluginMetadata({ id: "fresh-float", version: "1.0.0" }), "export const v = '1.0.0';\n");
    const references = ["fresh-float@latest", "fresh-float@^1.0.0", "fresh-float@%5E1.0.0"];
    for (const reference of references) {
      const response = await getManual(`${stack.url}/plugins/bundles/${reference}`);
      expect(response.headers.get("location")).toBe(`${stack.url}/plugins/bundles/fresh-float/v1.0.0/bundle.js`);
    }
    expect((await getManual(`${stack.url}/api/plugins/fresh-float/bundle`)).headers.get("location")).toContain(
      "v1.0.0",
    );

    await publish(stack, alice, pluginMetadata({ id: "fresh-float", version: "1.1.0" }), "export const v = '1.1.0';\n");
    for (const reference of references) {
      const response = await getManual(`${stack.url}/plugins/bundles/${reference}`);
      expect(response.headers.get("location"), reference).toBe(
        `${stack.url}/plugins/bundles/fresh-float/v1.1.0/bundle.js`,
      );
    }
    const latest = await getManual(`${stack.url}/api/plugins/fresh-float/bundle`);
    expect(latest.headers.get("location")).toBe(`${stack.url}/plugins/bundles/fresh-float/v1.1.0/bundle.js`);
    expect(latest.headers.get("cache-control")).toBe(SHORT_LIVED);
    expect(await (await fetch(`${stack.url}/plugins/bundles/fresh-float@latest`)).text()).toBe(
      "export const v = '1.1.0';\n",
    );
  });

  it("shows a tag move and an unknown plugin's first publish at once too", async () => {
    await expectError(await getManual(`${stack.url}/plugins/bundles/late-comer@latest`), 404, "NOT_FOUND");
    await publish(stack, alice, pluginMetadata({ id: "late-comer", version: "0.1.0" }));
    expect((await getManual(`${stack.url}/plugins/bundles/late-comer@latest`)).status).toBe(302);

    await trpc(stack, alice).tags.set.mutate({ pluginId: "floaty", tag: "beta", version: "1.0.0" });
    const moved = await getManual(`${stack.url}/plugins/bundles/floaty@beta`);
    expect(moved.headers.get("location")).toBe(`${stack.url}${target("1.0.0")}`);
  });
});
