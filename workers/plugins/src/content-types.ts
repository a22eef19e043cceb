import mime from "mime/lite";

/** Types whose text is UTF-8 by construction of a JS build; browsers need the charset for non-ASCII. */
const TEXTUAL = /^(text\/|application\/(json|javascript|xml|manifest\+json)|image\/svg\+xml)/;

/**
 * The Content-Type a file is served with, decided once at publish and stored with the
 * object. Module scripts are refused by browsers unless served as JavaScript, and
 * source maps are JSON.
 */
export function contentTypeFor(path: string): string {
  const lower = path.toLowerCase();
  let type: string;
  if (lower.endsWith(".js") || lower.endsWith(".mjs") || lower.endsWith(".cjs")) type = "text/javascript";
  else if (lower.endsWith(".map")) type = "application/json";
  else type = mime.getType(lower) ?? "application/octet-stream";
  return TEXTUAL.test(type) ? `${type}; charset=utf-8` : type;
}
