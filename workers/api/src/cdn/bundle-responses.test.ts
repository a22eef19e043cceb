import { describe, expect, it } from "vitest";
import { answerFromMemory, deprecationHeader, immutableHeaders } from "./bundle-responses";
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

describe("deprecationHeader", () => {
  /** How a reader gets the message back: RFC 8187 when the value says so, else as it is. */
  const read = (value: string) =>
    value.toLowerCase().startsWith("utf-8''") ? decodeURIComponent(value.slice("utf-8''".length)) : value;

  it.each(["use 0.4", "Replaced by charts-v2; see https://example.com/migrate?from=1 (100% compatible) *soon*"])(
    "sends printable ASCII as it is: %s",
    (message) => {
      expect(deprecationHeader(message)).toBe(message);
      expect(new Headers({ "x-plugin-deprecated": deprecationHeader(message) }).get("x-plugin-deprecated")).toBe(
        message,
      );
    },
  );

  it("sends anything else as an RFC 8187 extended value", () => {
    expect(deprecationHeader("Ersetzt durch v2 — bitte migrieren")).toBe(
      "UTF-8''Ersetzt%20durch%20v2%20%E2%80%94%20bitte%20migrieren",
    );
    expect(deprecationHeader("tab\there")).toBe("UTF-8''tab%09here");
  });

  it("encodes what RFC 8187's attr-char leaves out, which encodeURIComponent keeps", () => {
    expect(deprecationHeader("it's (é)*")).toBe("UTF-8''it%27s%20%28%C3%A9%29%2A");
  });

  it("encodes an ASCII message that looks like an extended value, so reading it back is unambiguous", () => {
    expect(deprecationHeader("UTF-8''abc")).toBe("UTF-8''UTF-8%27%27abc");
    expect(deprecationHeader("utf-8''abc")).toBe("UTF-8''utf-8%27%27abc");
  });

  it.each(["use 0.4", "名前 → 新しい名前", "😀 emoji", "UTF-8''x", "a\u0007b", ""])(
    "is a valid header value that reads back as %j",
    (message) => {
      const value = new Headers({ "x-plugin-deprecated": deprecationHeader(message) }).get("x-plugin-deprecated");
      expect(read(value ?? "")).toBe(message);
    },
  );
});
