import { parseMediaType } from "./media-type";

/** The fields a publish upload can have: `file`, `metadata` and `tag`. */
export const MAX_UPLOAD_PARTS = 3;

export const uploadPartsIssue = `the multipart body has more than ${MAX_UPLOAD_PARTS} parts; an upload has at most ${MAX_UPLOAD_PARTS} (file, metadata, tag)`;

/** RFC 2046 §5.1.1: 1 to 70 of these characters, the last not a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/** The boundary of a `multipart/form-data` Content-Type, or why it has none that can be trusted. */
export type MultipartBoundary = { boundary: string; problem?: never } | { boundary?: never; problem: string };

/**
 * Reads the boundary of a `multipart/form-data` Content-Type as a media type parameter
 * (RFC 7231), so the boundary counted is the one the form parser splits on: quoted
 * values unescaped (`"ab\cd"` is `abcd`), a `boundary=` inside another parameter's quoted
 * value not taken for one. A header that leaves any doubt about it is refused: one that
 * does not parse, a boundary missing, given twice (parsers differ on which one wins),
 * empty, longer than RFC 2046's 70 characters or made of other characters than it allows.
 */
export function multipartBoundary(contentType: string | null | undefined): MultipartBoundary {
  const mediaType = parseMediaType(contentType ?? "");
  if (!mediaType) return { problem: "The Content-Type is not a well-formed media type (RFC 7231)" };
  if (mediaType.essence !== "multipart/form-data") return { problem: "The Content-Type is not multipart/form-data" };
  const boundaries = mediaType.parameters.filter((parameter) => parameter.name === "boundary");
  const [declared] = boundaries;
  if (!declared) return { problem: "The multipart body declares no boundary" };
  if (boundaries.length > 1) return { problem: "The multipart Content-Type declares its boundary more than once" };
  if (!BOUNDARY.test(declared.value)) {
    return {
      problem:
        "The multipart boundary must be 1 to 70 characters of RFC 2046 (letters, digits, space and '()+_,-./:=?, not ending in a space)",
    };
  }
  return { boundary: declared.value };
}

/**
 * Whether a multipart body holds more than `limit` parts: a body of n parts has n + 1
 * delimiters, the last closing it. Every `--boundary` in the body counts, wherever it
 * stands (after a line break or a bare line feed, or in a preamble without one, where a
 * parser finds the first delimiter), so no delimiter a lenient parser could split on is
 * missed; a well-formed upload never holds its boundary elsewhere, so counting more only
 * ever refuses hostile bodies. It stops at the first delimiter past the limit, so a flood
 * of tiny parts costs a scan, never a parse. The boundary is ASCII (RFC 2046), and UTF-8
 * decoding keeps every ASCII byte in place, so a string search finds exactly its bytes.
 */
export function hasMorePartsThan(body: Uint8Array, boundary: string, limit: number): boolean {
  const text = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(body);
  const delimiter = `--${boundary}`;
  let delimiters = 0;
  for (let at = text.indexOf(delimiter); at !== -1; at = text.indexOf(delimiter, at + 1)) {
    delimiters += 1;
    if (delimiters > limit + 1) return true;
  }
  return false;
}
