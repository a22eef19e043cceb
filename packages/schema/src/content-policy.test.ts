import { describe, expect, it } from "vitest";
import { bundleContentHeaders, INERT_DOCUMENT_CSP, isJavaScriptModulePath, servedContentType } from "./content-policy";

describe("servedContentType", () => {
  it.each([
    ["text/javascript", "text/javascript; charset=utf-8"],
    ["text/css", "text/css; charset=utf-8"],
    ["text/plain", "text/plain; charset=utf-8"],
    ["application/json", "application/json; charset=utf-8"],
    ["image/svg+xml", "image/svg+xml; charset=utf-8"],
    ["application/wasm", "application/wasm"],
    ["font/woff2", "font/woff2"],
    ["image/png", "image/png"],
    ["image/avif", "image/avif"],
  ])("serves %s as itself (%s)", (stored, served) => {
    expect(servedContentType(stored)).toBe(served);
  });

  it.each([
    "text/html",
    "text/html; charset=utf-8",
    "TEXT/HTML",
    "application/xhtml+xml",
    "application/xml",
    "text/xml",
    "application/xslt+xml",
    "application/rdf+xml",
    "text/markdown",
    "application/ld+json",
  ])("serves the active or other text type %s as plain text", (stored) => {
    expect(servedContentType(stored)).toBe("text/plain; charset=utf-8");
  });

  it.each([
    "application/pdf",
    "application/octet-stream",
    "message/rfc822",
    "application/x-shockwave-flash",
    "video/mp4",
    "",
  ])("serves %s as a download", (stored) => {
    expect(servedContentType(stored)).toBe("application/octet-stream");
  });

  it("is idempotent, so the gateway may apply it to what publish already decided", () => {
    for (const stored of ["text/html", "image/svg+xml", "application/pdf", "text/javascript", "font/woff"]) {
      const once = servedContentType(stored);
      expect(servedContentType(once)).toBe(once);
    }
  });
});

describe("bundleContentHeaders", () => {
  it("gives a script its type and nothing else, so Web Workers started from it may still fetch", () => {
    expect(bundleContentHeaders("text/javascript; charset=utf-8")).toEqual([
      ["content-type", "text/javascript; charset=utf-8"],
    ]);
  });

  it.each(["text/css", "application/json", "image/svg+xml", "image/png", "text/plain"])(
    "sandboxes %s with the inert-document CSP",
    (stored) => {
      expect(Object.fromEntries(bundleContentHeaders(stored))["content-security-policy"]).toBe(INERT_DOCUMENT_CSP);
    },
  );

  it("serves a stored HTML file as sandboxed plain text, shown rather than downloaded", () => {
    expect(Object.fromEntries(bundleContentHeaders("text/html; charset=utf-8"))).toEqual({
      "content-type": "text/plain; charset=utf-8",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    });
  });

  it("serves an unknown type as a sandboxed download", () => {
    expect(Object.fromEntries(bundleContentHeaders("application/pdf"))).toEqual({
      "content-type": "application/octet-stream",
      "content-security-policy": INERT_DOCUMENT_CSP,
      "content-disposition": "attachment",
    });
  });
});

describe("isJavaScriptModulePath", () => {
  it.each(["index.js", "dist/main.mjs", "Index.JS"])("accepts %s", (path) => {
    expect(isJavaScriptModulePath(path)).toBe(true);
  });

  it.each(["index.html", "index.cjs", "index.js.map", "index.json", "icon.svg", "index", "js"])(
    "refuses %s",
    (path) => {
      expect(isJavaScriptModulePath(path)).toBe(false);
    },
  );
});
