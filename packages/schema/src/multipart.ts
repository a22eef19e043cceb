/** The fields a publish upload can have: `file`, `metadata` and `tag`. */
export const MAX_UPLOAD_PARTS = 3;

export const uploadPartsIssue = `the multipart body has more than ${MAX_UPLOAD_PARTS} parts; an upload has at most ${MAX_UPLOAD_PARTS} (file, metadata, tag)`;

/** The boundary a `multipart/form-data` content type declares, or null when it declares none. */
export function multipartBoundary(contentType: string | null | undefined): string | null {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType ?? "");
  return match ? (match[1] ?? match[2] ?? null) : null;
}

const LINE_FEED = 0x0a;

/**
 * Whether a multipart body holds more than `limit` parts. It counts delimiter lines
 * (`--boundary` at the start of the body or of a line: a body of n parts has n + 1, the
 * last closing it) with a byte search, and stops at the first one past the limit, so a
 * flood of tiny parts costs a scan, never a parse. A delimiter after a bare line feed
 * counts too: a lenient parser would split there.
 */
export function hasMorePartsThan(body: Uint8Array, boundary: string, limit: number): boolean {
  const delimiter = new TextEncoder().encode(`--${boundary}`);
  let delimiters = startsAt(body, delimiter, 0) ? 1 : 0;
  for (let at = body.indexOf(LINE_FEED); at !== -1; at = body.indexOf(LINE_FEED, at + 1)) {
    if (!startsAt(body, delimiter, at + 1)) continue;
    delimiters += 1;
    if (delimiters > limit + 1) return true;
  }
  return false;
}

function startsAt(body: Uint8Array, prefix: Uint8Array, offset: number): boolean {
  if (offset + prefix.length > body.length) return false;
  for (let index = 0; index < prefix.length; index += 1) {
    if (body[offset + index] !== prefix[index]) return false;
  }
  return true;
}
