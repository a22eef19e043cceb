import { expect, it } from "vitest";
import { contentTypeFor } from "./content-types";

it.each([
  ["index.js", "text/javascript; charset=utf-8"],
  ["chunks/a.mjs", "text/javascript; charset=utf-8"],
  ["legacy.CJS", "text/javascript; charset=utf-8"],
  ["index.js.map", "application/json; charset=utf-8"],
  ["styles/main.css", "text/css; charset=utf-8"],
  ["plugin.json", "application/json; charset=utf-8"],
  ["icon.svg", "image/svg+xml; charset=utf-8"],
  ["logo.png", "image/png"],
  ["font.woff2", "font/woff2"],
  ["core.wasm", "application/wasm"],
  ["notes.txt", "text/plain; charset=utf-8"],
  ["README", "application/octet-stream"],
])("serves %s as %s", (path, expected) => {
  expect(contentTypeFor(path)).toBe(expected);
});

it.each([
  "page.html",
  "page.htm",
  "page.HTML",
  "page.shtml",
  "page.xhtml",
  "page.xht",
  "feed.xml",
  "style.xsl",
  "README.md",
])("serves %s, which a browser would render or which is other text, as plain text", (path) => {
  expect(contentTypeFor(path)).toBe("text/plain; charset=utf-8");
});

it.each(["doc.pdf", "archive.mht", "movie.mp4", "tool.jar"])("serves %s as a download", (path) => {
  expect(contentTypeFor(path)).toBe("application/octet-stream");
});
