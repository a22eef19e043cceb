import { describe, expect, it } from "vitest";
import { answerFromMemory, immutableHeaders } from "./bundle-responses";
import type { HotObject } from "./hot-objects";

const object: HotObject = {
  bytes: new TextEncoder().encode("0123456789"),
  etag: '"abc"',
  headers: immutableHeaders('"abc"', "text/javascript; charset=utf-8"),
  isEntry: true,
  storedAt: 0,
};

const answer = (headers: Record<string, string>, method = "GET") =>
  answerFromMemory(method, new Headers(headers), object);

describe("answerFromMemory", () => {
  it("answers 200 with the bytes and immutable, cross-origin headers", async () => {
    const response = answer({});
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("0123456789");
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("content-length")).toBe("10");
  });

  it.each(['"abc"', 'W/"abc"', '"x", "abc"', "*"])("answers 304 to If-None-Match %s", (value) => {
    const response = answer({ "if-none-match": value });
    expect(response.status).toBe(304);
    expect(response.headers.get("etag")).toBe('"abc"');
    expect(response.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
  });

  it("answers 304 even when the request says Cache-Control: no-cache, as the origin may", () => {
    expect(answer({ "if-none-match": '"abc"', "cache-control": "no-cache" }).status).toBe(304);
  });

  it("answers 200 to a non-matching If-None-Match", () => {
    expect(answer({ "if-none-match": '"other"' }).status).toBe(200);
  });

  it("answers 206 with the requested bytes", async () => {
    const response = answer({ range: "bytes=2-4" });
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe("bytes 2-4/10");
    expect(await response.text()).toBe("234");
  });

  it("answers a suffix range", async () => {
    const response = answer({ range: "bytes=-3" });
    expect(await response.text()).toBe("789");
  });

  it("answers 416 with the size for an unsatisfiable range", () => {
    const response = answer({ range: "bytes=50-60" });
    expect(response.status).toBe(416);
    expect(response.headers.get("content-range")).toBe("bytes */10");
  });

  it("ignores a malformed range and a range whose If-Range no longer matches", () => {
    expect(answer({ range: "lines=1-2" }).status).toBe(200);
    expect(answer({ range: "bytes=0-1", "if-range": '"old"' }).status).toBe(200);
  });

  it("sends no body to HEAD", async () => {
    const response = answer({}, "HEAD");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe("10");
    expect(await response.text()).toBe("");
  });
});

describe("immutableHeaders", () => {
  const headersOf = (storedType: string) => Object.fromEntries(immutableHeaders('"e"', storedType));
  const CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

  it("serves a script as itself, without a CSP of its own", () => {
    const headers = headersOf("text/javascript; charset=utf-8");
    expect(headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(headers["content-security-policy"]).toBeUndefined();
    expect(headers["x-content-type-options"]).toBe("nosniff");
  });

  it.each(["text/html; charset=utf-8", "application/xhtml+xml", "application/xml; charset=utf-8"])(
    "serves an object stored as %s (before the content policy) as sandboxed plain text",
    (stored) => {
      const headers = headersOf(stored);
      expect(headers["content-type"]).toBe("text/plain; charset=utf-8");
      expect(headers["content-security-policy"]).toBe(CSP);
      expect(headers["content-disposition"]).toBeUndefined();
    },
  );

  it("keeps SVG an image, sandboxed", () => {
    expect(headersOf("image/svg+xml; charset=utf-8")).toMatchObject({
      "content-type": "image/svg+xml; charset=utf-8",
      "content-security-policy": CSP,
    });
  });

  it("serves an unknown type as a sandboxed download", () => {
    expect(headersOf("application/pdf")).toMatchObject({
      "content-type": "application/octet-stream",
      "content-security-policy": CSP,
      "content-disposition": "attachment",
    });
  });

  it("puts the policy on 304 and 206 answers too", () => {
    const page: HotObject = { ...object, headers: immutableHeaders('"abc"', "text/html") };
    const requests: Record<string, string>[] = [{ "if-none-match": '"abc"' }, { range: "bytes=0-1" }];
    for (const request of requests) {
      const response = answerFromMemory("GET", new Headers(request), page);
      expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(response.headers.get("content-security-policy")).toBe(CSP);
    }
  });
});
