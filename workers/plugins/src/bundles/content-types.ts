import { servedContentType } from "@plugins/schema";
import mime from "mime/lite";

/**
 * The Content-Type a file is served with, decided once at publish and stored with the
 * object and in the version's file list: the type its name says, through the platform's
 * content policy (HTML and the like become plain text, unknown types a download). Module
 * scripts are refused by browsers unless served as JavaScript, and source maps are JSON.
 */
export function contentTypeFor(path: string): string {
  const lower = path.toLowerCase();
  let type: string;
  if (lower.endsWith(".js") || lower.endsWith(".mjs") || lower.endsWith(".cjs")) type = "text/javascript";
  else if (lower.endsWith(".map")) type = "application/json";
  else type = mime.getType(lower) ?? "application/octet-stream";
  return servedContentType(type);
}
