import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bundleObjectKey, bundleUrlPath, parseBundleUrl } from "./versions";

describe("parseBundleUrl", () => {
  it("reads the file off an absolute URL or its path, ignoring a query", () => {
    const file = { pluginId: "charts", version: "1.2.0", path: "chunks/a-1.js" };
    expect(parseBundleUrl("https://plugins.example.com/plugins/bundles/charts/v1.2.0/chunks/a-1.js")).toEqual(file);
    expect(parseBundleUrl("http://127.0.0.1:8787/plugins/bundles/charts/v1.2.0/chunks/a-1.js?x=/v2/y")).toEqual(file);
    expect(parseBundleUrl("/plugins/bundles/charts/v1.2.0/chunks/a-1.js")).toEqual(file);
  });

  it("decodes each part, and reads an encoded slash in the path as a slash", () => {
    expect(parseBundleUrl("/plugins/bundles/%63harts/v1.2.0-beta%2E1/my%20file%2Fn%C3%A4me.js")).toEqual({
      pluginId: "charts",
      version: "1.2.0-beta.1",
      path: "my file/näme.js",
    });
  });

  it("gives the file that bundleObjectKey turns into its R2 key", () => {
    const file = parseBundleUrl("/plugins/bundles/p/v1.0.0/a%20b/c.js");
    expect(file && bundleObjectKey(file.pluginId, file.version, file.path)).toBe("p/1.0.0/a b/c.js");
  });

  it("inverts bundleUrlPath for any file path", () => {
    const segment = fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }).filter((s) => !s.includes("/"));
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), (segments) => {
        const path = segments.join("/");
        expect(parseBundleUrl(bundleUrlPath("p", "1.0.0", path))).toEqual({ pluginId: "p", version: "1.0.0", path });
      }),
    );
  });

  it.each([
    ["a slash encoded inside the plugin id", "/plugins/bundles/a%2Fb/v1.0.0/index.js"],
    ["a slash encoded inside the version", "/plugins/bundles/p/v1.0.0%2Fx/index.js"],
    ["the slash between version and path encoded", "/plugins/bundles/p/v1.0.0%2Findex.js"],
    ["every slash encoded", "/plugins/bundles/p%2Fv1.0.0%2Findex.js"],
    ["a malformed escape in the id", "/plugins/bundles/p%zz/v1.0.0/index.js"],
    ["a malformed escape in the version", "/plugins/bundles/p/v1.0.0%/index.js"],
    ["a truncated UTF-8 escape in the path", "/plugins/bundles/p/v1.0.0/index%E0%A4.js"],
    ["a lone continuation byte in the path", "/plugins/bundles/p/v1.0.0/%80.js"],
    ["no v before the version", "/plugins/bundles/p/1.0.0/index.js"],
    ["no file path", "/plugins/bundles/p/v1.0.0"],
    ["an empty plugin id", "/plugins/bundles//v1.0.0/index.js"],
    ["a floating reference", "/plugins/bundles/p@latest/index.js"],
    ["the file path in the query", "/plugins/bundles/p?/v1.0.0/index.js"],
    ["another prefix", "/plugins/bundle/p/v1.0.0/index.js"],
    ["an encoded prefix", "/plugins%2Fbundles/p/v1.0.0/index.js"],
    ["an API route", "https://plugins.example.com/api/plugins/p/bundle"],
  ])("names no file for %s", (_, url) => {
    expect(parseBundleUrl(url)).toBeNull();
  });

  it("reads the shape only: what the schemas refuse is the caller's to refuse", () => {
    expect(parseBundleUrl("/plugins/bundles/NOT-AN-ID/vwhatever/")).toEqual({
      pluginId: "NOT-AN-ID",
      version: "whatever",
      path: "",
    });
  });
});
