import { describe, expect, it } from "vitest";
import { wantsPage } from "./routes";
import { pageCacheControl, pageSecurityHeaders } from "./security-headers";

describe("pageSecurityHeaders", () => {
  const policyOf = (pageOrigin: string, bundleOrigin: string) =>
    Object.fromEntries(
      (pageSecurityHeaders(pageOrigin, bundleOrigin)["content-security-policy"] ?? "")
        .split("; ")
        .map((directive) => [directive.split(" ")[0], directive.split(" ").slice(1)]),
    );

  it("allows script and style only from the app's build folder, never inline or evaluated", () => {
    const policy = policyOf("https://plugins.example.com", "https://plugins.example.com");
    expect(policy["script-src"]).toEqual(["https://plugins.example.com/assets/"]);
    expect(policy["style-src"]).toEqual(["https://plugins.example.com/assets/"]);
    expect(policy["default-src"]).toEqual(["'none'"]);
    expect(policy["frame-ancestors"]).toEqual(["'none'"]);
    expect(policy["connect-src"]).toEqual(["'self'"]);
  });

  it("lets images come from a separate bundle origin (plugin icons), and only images", () => {
    const policy = policyOf("https://console.example.com", "https://cdn.example.com");
    expect(policy["img-src"]).toEqual(["'self'", "data:", "https://cdn.example.com"]);
    expect(policy["script-src"]).toEqual(["https://console.example.com/assets/"]);
    expect(policy["connect-src"]).toEqual(["'self'"]);
  });
});

describe("pageCacheControl", () => {
  it("keeps hashed build files for a year, and has pages revalidated", () => {
    expect(pageCacheControl("/assets/index-BMtPT_Vu.js")).toBe("public, max-age=31536000, immutable");
    expect(pageCacheControl("/")).toBe("no-cache");
    expect(pageCacheControl("/favicon.svg")).toBe("no-cache");
  });
});

describe("wantsPage", () => {
  it.each([
    ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true],
    ["text/html;q=0.9", true],
    ["*/*", false],
    ["application/json", false],
    [undefined, false],
    ["text/htmlx", false],
  ])("Accept %s: %s", (accept, expected) => {
    expect(wantsPage(accept)).toBe(expected);
  });
});
