import { describe, expect, it } from "vitest";
import { describeIssues } from "./issues";
import { checkListingFiles, README_MAX_BYTES, repositoryUrl } from "./listing-fields";
import { pluginManifestSchema } from "./manifest";

const base = { id: "charts", name: "Charts", version: "1.0.0", category: "widgets" };

/** The one-line refusal a publish would answer, or null when the manifest is accepted. */
function refusal(fields: Record<string, unknown>): string | null {
  const parsed = pluginManifestSchema.safeParse({ ...base, ...fields });
  return parsed.success ? null : describeIssues(parsed.error.issues);
}

const text = (value: string) => new TextEncoder().encode(value);

describe("the manifest's listing fields", () => {
  it("accepts every field and keeps them as given", () => {
    const fields = {
      displayName: "Charts for dashboards",
      readme: "docs/README.md",
      icon: "assets/icon.svg",
      homepage: "https://example.com/charts",
      repository: { type: "git", url: "https://example.com/acme/charts.git" },
      bugs: "https://example.com/acme/charts/issues",
      keywords: ["chart", "dashboard widget", "c++"],
    };
    expect(pluginManifestSchema.parse({ ...base, ...fields })).toMatchObject(fields);
  });

  it("adds none of them to a manifest without them, so its content digest stays what it was", () => {
    const parsed = pluginManifestSchema.parse(base);
    for (const field of ["displayName", "readme", "icon", "homepage", "repository", "bugs", "keywords"]) {
      expect(parsed).not.toHaveProperty(field);
    }
  });

  it.each([
    ["a file path ending in .md", "README.md"],
    ["a .markdown file in a folder", "docs/Guide.markdown"],
    ["a .txt file", "README.txt"],
    ["inline text", { text: "# Charts\n\nDraws charts." }],
  ])("accepts a readme as %s", (_, readme) => {
    expect(refusal({ readme })).toBeNull();
  });

  it.each([
    [
      "Markdown text as a plain string",
      "# Charts\n\nDraws charts.",
      /^readme: must name a file of the bundle ending in \.md, \.markdown or \.txt; give Markdown text as \{"text": "…"\}$/,
    ],
    [
      "a file of another type",
      "README.html",
      /^readme: must name a file of the bundle ending in \.md, \.markdown or \.txt; give Markdown text as \{"text": "…"\}$/,
    ],
    ["a path climbing out of the bundle", "../README.md", /^readme: must be a relative path of plain names/],
    ["empty inline text", { text: "  \n" }, /^readme\.text: must not be empty/],
    ["an object of another shape", { file: "README.md" }, /^readme: must be the path of a Markdown file/],
    ["a number", 3, /^readme: must be the path of a Markdown file/],
  ])("refuses a readme given as %s", (_, readme, message) => {
    expect(refusal({ readme })).toMatch(message);
  });

  it.each(["icon.png", "a/icon.JPG", "icon.jpeg", "icon.webp", "icon.gif", "icon.svg"])(
    "accepts the icon %s",
    (icon) => {
      expect(refusal({ icon })).toBeNull();
    },
  );

  it.each([
    ["icon.ico", /^icon: must be an image: a path ending in \.png, \.jpg/],
    ["icon.svg.js", /^icon: must be an image/],
    ["/icon.png", /^icon: must be a relative path/],
  ])("refuses the icon %s", (icon, message) => {
    expect(refusal({ icon })).toMatch(message);
  });

  it.each(["homepage", "bugs"])("%s: takes an https URL and refuses every other link", (field) => {
    expect(refusal({ [field]: "https://example.com/a?b=c#d" })).toBeNull();
    for (const link of [
      "http://example.com",
      "javascript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "//example.com",
      "example.com",
      "https://user:secret@example.com/",
      " https://example.com",
      "https://example.com/\u0000",
      "https://exa mple.com",
    ]) {
      expect(refusal({ [field]: link }), link).toMatch(new RegExp(`^${field}: must be an https URL`));
    }
  });

  it("takes the repository as an https URL or npm's {type, url}, and nothing else", () => {
    expect(refusal({ repository: "https://example.com/acme/charts" })).toBeNull();
    expect(refusal({ repository: { type: "git", url: "https://example.com/acme/charts.git" } })).toBeNull();
    expect(refusal({ repository: "git+ssh://git@example.com/acme/charts.git" })).toMatch(
      /^repository: must be an https URL/,
    );
    expect(refusal({ repository: { type: "git", url: "javascript:alert(1)" } })).toMatch(
      /^repository\.url: must be an https URL/,
    );
    expect(refusal({ repository: { type: "git", url: "https://example.com", directory: "x" } })).toMatch(
      /^repository: .*Unrecognized key/,
    );
    expect(refusal({ repository: 7 })).toBe('repository: must be an https URL or {"type": "git", "url": "https://…"}');
  });

  it("reads the repository's URL from either form", () => {
    expect(repositoryUrl("https://example.com/r")).toBe("https://example.com/r");
    expect(repositoryUrl({ type: "git", url: "https://example.com/r.git" })).toBe("https://example.com/r.git");
    expect(repositoryUrl(undefined)).toBeNull();
  });

  it("refuses a display name that is empty, too long or more than one line", () => {
    expect(refusal({ displayName: "  " })).toMatch(/^displayName: must not be empty/);
    expect(refusal({ displayName: "a".repeat(101) })).toMatch(/^displayName: /);
    expect(refusal({ displayName: "Charts\nfor you" })).toMatch(/^displayName: must be one line of plain text/);
    expect(refusal({ displayName: "Charts\u200b" })).toMatch(/^displayName: must be one line/);
    expect(refusal({ displayName: "a".repeat(100) })).toBeNull();
  });

  it("refuses a repeated keyword in any case, naming it, more than 20 keywords, and blank or long ones", () => {
    expect(refusal({ keywords: ["chart", "Chart"] })).toBe('keywords.1: repeats "Chart"');
    expect(refusal({ keywords: Array.from({ length: 21 }, (_, index) => `k${index}`) })).toBe(
      "keywords: must list at most 20 keywords",
    );
    expect(refusal({ keywords: Array.from({ length: 20 }, (_, index) => `k${index}`) })).toBeNull();
    expect(refusal({ keywords: [""] })).toMatch(/^keywords\.0: must not be empty/);
    expect(refusal({ keywords: ["a".repeat(51)] })).toMatch(/^keywords\.0: /);
    expect(refusal({ keywords: ["two\tparts"] })).toMatch(/^keywords\.0: must be one line/);
    expect(refusal({ keywords: "chart" })).toMatch(/^keywords: /);
  });
});

describe("checkListingFiles", () => {
  const files = [
    { path: "index.js", bytes: text("export default 1") },
    { path: "README.md", bytes: text("# Charts\n\nDraws **charts**. ✓") },
    { path: "icon.png", bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) },
  ];

  it("gives the readme file's text, and an inline readme's, and null without one", () => {
    expect(checkListingFiles({ readme: "README.md", icon: "icon.png" }, files)).toEqual({
      ok: true,
      readme: "# Charts\n\nDraws **charts**. ✓",
    });
    expect(checkListingFiles({ readme: { text: "inline" } }, files)).toEqual({ ok: true, readme: "inline" });
    expect(checkListingFiles({}, files)).toEqual({ ok: true, readme: null });
  });

  it("drops a byte-order mark in front of the readme", () => {
    const withBom = [{ path: "README.md", bytes: new Uint8Array([0xef, 0xbb, 0xbf, ...text("# Hi")]) }];
    expect(checkListingFiles({ readme: "README.md" }, withBom)).toEqual({ ok: true, readme: "# Hi" });
  });

  it.each([
    [{ readme: "docs/README.md" }, files, 'readme: "docs/README.md" is not a file of the bundle'],
    [{ icon: "logo.svg" }, files, 'icon: "logo.svg" is not a file of the bundle'],
    [
      { readme: "README.md" },
      [{ path: "README.md", bytes: new Uint8Array([0x23, 0xff, 0xfe]) }],
      'readme: "README.md" is not UTF-8 text',
    ],
    [
      { readme: "README.md" },
      [{ path: "README.md", bytes: text("a\0b") }],
      'readme: "README.md" holds NUL characters; it must be text',
    ],
    [
      { readme: "README.md" },
      [{ path: "README.md", bytes: new Uint8Array(README_MAX_BYTES + 1).fill(0x61) }],
      `readme: "README.md" is ${README_MAX_BYTES + 1} bytes; a readme is at most ${README_MAX_BYTES}`,
    ],
  ])("refuses %j", (manifest, bundle, problem) => {
    expect(checkListingFiles(manifest, bundle)).toEqual({ ok: false, problem });
  });

  it("takes a readme of exactly the limit", () => {
    const bundle = [{ path: "README.md", bytes: new Uint8Array(README_MAX_BYTES).fill(0x61) }];
    const checked = checkListingFiles({ readme: "README.md" }, bundle);
    expect(checked.ok && checked.readme?.length).toBe(README_MAX_BYTES);
  });
});
