import { bundleContentHeaders } from "@plugins/schema";
import fresh from "fresh";
import parseRange from "range-parser";
import type { HotObject } from "./hot-objects";

/** Headers every bundle answer carries, so a page on any origin can `import()` it. */
export const CROSS_ORIGIN_HEADERS: Readonly<Record<string, string>> = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "etag, content-length, content-range",
  "cross-origin-resource-policy": "cross-origin",
  "x-content-type-options": "nosniff",
};

export const IMMUTABLE = "public, max-age=31536000, immutable";
export const REQUEST_ID_HEADER = "x-request-id";
/** Floating references and misses: long enough to absorb a burst, short enough for a publish to show. */
export const SHORT_LIVED = "public, max-age=60, stale-while-revalidate=300";

/**
 * The headers of every answer for one object, built once per object rather than per request.
 * The content headers come from the content policy applied to the type the object was stored
 * with, so that an object stored before the policy (an HTML file as `text/html`) or kept by
 * the edge cache is served inert all the same.
 */
export function immutableHeaders(etag: string, storedContentType: string): [string, string][] {
  return [
    ...Object.entries(CROSS_ORIGIN_HEADERS),
    ["cache-control", IMMUTABLE],
    ...bundleContentHeaders(storedContentType),
    ["etag", etag],
    ["accept-ranges", "bytes"],
  ];
}

/**
 * Whether `If-None-Match` names this ETag (weak comparison, `*`, lists), by the rules of
 * the `fresh` package. Its `Cache-Control: no-cache` rule is left out on purpose: that
 * directive binds caches, and this is the origin, whose validation is authoritative.
 */
export function isNotModified(request: Headers, etag: string): boolean {
  return fresh({ "if-none-match": request.get("if-none-match") ?? undefined }, { etag });
}

/**
 * Answers a request for an object held in memory: 304 for a matching `If-None-Match`,
 * 206 for one satisfiable byte range, 416 for an unsatisfiable one, otherwise 200.
 * Several ranges at once get the whole object, as RFC 9110 allows.
 */
export function answerFromMemory(method: string, request: Headers, object: HotObject, requestId?: string): Response {
  const size = object.bytes.byteLength;
  const rangeHeader = request.get("range");
  // Every header is given to the constructor: changing a Response's headers afterwards
  // costs the hot path about a tenth of its throughput in workerd.
  const own: [string, string][] = requestId ? [[REQUEST_ID_HEADER, requestId]] : [];
  if (rangeHeader === null && !request.has("if-none-match")) {
    // The common case, a plain GET, in one go.
    const headers = [...object.headers, ...own, ["content-length", String(size)]];
    return new Response(method === "HEAD" ? null : object.bytes, { status: 200, headers });
  }
  const headers = new Headers([...object.headers, ...own]);
  if (isNotModified(request, object.etag)) return new Response(null, { status: 304, headers });
  const ifRange = request.get("if-range");
  if (rangeHeader && (ifRange === null || ifRange === object.etag)) {
    const ranges = parseRange(size, rangeHeader, { combine: true });
    if (ranges === -1) {
      headers.set("content-range", `bytes */${size}`);
      headers.set("cache-control", "no-store");
      return new Response(null, { status: 416, headers });
    }
    if (Array.isArray(ranges) && ranges.type === "bytes" && ranges.length === 1 && ranges[0]) {
      const { start, end } = ranges[0];
      headers.set("content-range", `bytes ${start}-${end}/${size}`);
      headers.set("content-length", String(end - start + 1));
      return new Response(method === "HEAD" ? null : object.bytes.subarray(start, end + 1), { status: 206, headers });
    }
  }
  headers.set("content-length", String(size));
  return new Response(method === "HEAD" ? null : object.bytes, { status: 200, headers });
}

/** Answers with a streamed object too large to hold in memory: 304 or 200, ranges ignored. */
export function answerFromStream(method: string, request: Headers, response: Response): Response {
  const etag = response.headers.get("etag") ?? "";
  const contentType = response.headers.get("content-type") ?? "application/octet-stream";
  const headers = new Headers(immutableHeaders(etag, contentType));
  const length = response.headers.get("content-length");
  if (length) headers.set("content-length", length);
  headers.delete("accept-ranges");
  if (etag && isNotModified(request, etag)) {
    response.body?.cancel();
    return new Response(null, { status: 304, headers });
  }
  if (method === "HEAD") response.body?.cancel();
  return new Response(method === "HEAD" ? null : response.body, { status: 200, headers });
}

/** Printable ASCII: what a header value carries as it is. */
const PLAIN_HEADER_VALUE = /^[\x20-\x7e]*$/;
/** The start of an RFC 8187 extended value in UTF-8, in any case (charsets are case-insensitive). */
const EXTENDED_VALUE_PREFIX = /^utf-8''/i;

/**
 * `X-Plugin-Deprecated`: the message itself when it is printable ASCII, else its RFC 8187
 * extended value, `UTF-8''` and the percent-encoded UTF-8 bytes (as `filename*` carries a
 * non-ASCII file name). One header with one rule for a reader: a value starting with
 * `UTF-8''` is decoded, any other is the message as written. So an ASCII message that
 * happens to start that way is encoded too, and nothing is lost to an ASCII fallback.
 */
export function deprecationHeader(message: string): string {
  if (PLAIN_HEADER_VALUE.test(message) && !EXTENDED_VALUE_PREFIX.test(message)) return message;
  // encodeURIComponent leaves ' ( ) * as they are; RFC 8187's attr-char does not allow them.
  const encoded = encodeURIComponent(message).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `UTF-8''${encoded}`;
}
