/**
 * What a bundle file may be served as. Bundles are answered on the platform's own origin
 * (unless `PUBLIC_BASE_URL` puts them on another host), beside `/api` and `/trpc`, and any
 * editor can publish one: a file that a browser renders as an active document (HTML, XHTML,
 * XML, PDF…) would run the publisher's script with the platform's origin. So only what a
 * plugin needs is served as itself; text of any other type is served as `text/plain`, the
 * way public package CDNs serve HTML, and anything else as a download.
 *
 * The policy is applied twice, with the same function: at publish, so R2 and the version's
 * file list record the type a file is served with, and by the gateway on every object it
 * caches, so objects stored before the policy existed are served inert too.
 */

/** Served as themselves: scripts, styles, data, WebAssembly, fonts, raster images, plain text. */
const SERVED_AS_THEMSELVES = new Set([
  "text/javascript",
  "text/css",
  "text/plain",
  "application/json",
  "application/wasm",
  "font/woff",
  "font/woff2",
  "font/ttf",
  "font/otf",
  "font/collection",
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/avif",
  "image/apng",
  "image/bmp",
  // SVG stays SVG, so a plugin's icons work in <img> and CSS, where a browser never runs
  // an SVG's script; opened directly, the sandbox below keeps its script from running.
  "image/svg+xml",
]);

/** Types whose text is UTF-8 by construction of a JS build; browsers need the charset for non-ASCII. */
const TEXTUAL = new Set(["text/javascript", "text/css", "text/plain", "application/json", "image/svg+xml"]);

/** Readable text of any other type (HTML, XML, Markdown, CSV, JSON dialects), shown inert. */
const OTHER_TEXT = /^text\/|[/+](xml|json)$/;

export const INERT_TEXT_TYPE = "text/plain; charset=utf-8";
export const DOWNLOAD_TYPE = "application/octet-stream";

/**
 * On every answer that is not a script: a document it is opened as may load nothing and
 * runs in a sandbox (no script, an opaque origin). Inline styles are allowed so that an
 * SVG icon opened on its own still looks like itself. Scripts go without it: a script's
 * own CSP would govern a Web Worker started from it and forbid the worker every request.
 */
export const INERT_DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/** The media type without parameters, lowercased: `Text/HTML; charset=utf-8` → `text/html`. */
function essenceOf(contentType: string): string {
  return (contentType.split(";", 1)[0] ?? "").trim().toLowerCase();
}

/** The Content-Type a file of this type is served with (idempotent: policy of policy is policy). */
export function servedContentType(contentType: string): string {
  const essence = essenceOf(contentType);
  if (SERVED_AS_THEMSELVES.has(essence)) return TEXTUAL.has(essence) ? `${essence}; charset=utf-8` : essence;
  return OTHER_TEXT.test(essence) ? INERT_TEXT_TYPE : DOWNLOAD_TYPE;
}

/**
 * Every content header of a bundle answer for a stored type: its served Content-Type, the
 * sandboxing CSP unless it is a script, and a download disposition for unknown types.
 */
export function bundleContentHeaders(storedContentType: string): [string, string][] {
  const contentType = servedContentType(storedContentType);
  const headers: [string, string][] = [["content-type", contentType]];
  if (!contentType.startsWith("text/javascript")) headers.push(["content-security-policy", INERT_DOCUMENT_CSP]);
  if (contentType === DOWNLOAD_TYPE) headers.push(["content-disposition", "attachment"]);
  return headers;
}

/** Whether a path names a JavaScript module, as a plugin's `entry` must (a host `import()`s it). */
export function isJavaScriptModulePath(path: string): boolean {
  return /\.m?js$/i.test(path);
}
