import { describe, expect, it } from "vitest";
import { pluginManifestSchema } from "./manifest";
import { bundleFilePathSchema, quotePath } from "./plugins";

/** Names that look like, or read as, another name; each refused wherever a path is checked. */
const DECEPTIVE_NAMES: ReadonlyArray<[string, string]> = [
  ["a zero-width space", "index\u200B.js"],
  ["a zero-width joiner", "chunks/a\u200D.js"],
  ["a zero-width non-joiner", "a\u200C.js"],
  ["a byte-order mark", "\uFEFFindex.js"],
  ["a right-to-left override", "evil\u202Esj.png"],
  ["a left-to-right override", "a\u202D.js"],
  ["a right-to-left isolate", "a\u2067b\u2069.js"],
  ["a soft hyphen", "in\u00ADdex.js"],
  ["a word joiner", "in\u2060dex.js"],
  ["a Mongolian vowel separator", "a\u180E.js"],
  ["a tag character", "a\u{E0041}.js"],
  ["a Hangul filler", "a\u3164.js"],
  ["a variation selector", "a\uFE0F.js"],
  ["a line separator", "a\u2028.js"],
  ["a trailing dot", "index.js."],
  ["a trailing space", "index.js "],
  ["a folder with a trailing dot", "chunks./a.js"],
  ["a folder with a trailing space", "chunks /a.js"],
  ["a trailing no-break space", "index.js\u00A0"],
  ["a trailing Braille pattern blank", "index.js\u2800"],
  ["a Braille pattern blank inside", "index\u2800.js"],
  ["a Hangul choseong filler", "a\u115F.js"],
  ["a Hangul jungseong filler", "a\u1160.js"],
  ["a halfwidth Hangul filler", "a\uFFA0.js"],
  ["a no-break space inside", "my\u00A0file.js"],
  ["an en space", "a\u2002b.js"],
  ["an em space", "a\u2003b.js"],
  ["a figure space", "a\u2007b.js"],
  ["a narrow no-break space", "a\u202Fb.js"],
  ["a medium mathematical space", "a\u205Fb.js"],
  ["an ideographic space", "a\u3000b.js"],
  ["an Ogham space mark", "a\u1680b.js"],
];

describe("bundleFilePathSchema", () => {
  it.each(DECEPTIVE_NAMES)("refuses a path with %s", (_, path) => {
    expect(bundleFilePathSchema.safeParse(path).success).toBe(false);
  });

  it.each(["index.js", "chunks/a-1.2.js", "my file.png", "ünïcødé/名前.js", ".well-known/x.json", "a..b.js"])(
    "accepts %s",
    (path) => {
      expect(bundleFilePathSchema.safeParse(path).success).toBe(true);
    },
  );
});

describe("quotePath", () => {
  it("escapes invisible characters, so a message shows what the name really holds", () => {
    expect(quotePath("index\u200B.js")).toBe('"index\\u{200b}.js"');
    expect(quotePath("evil\u202Esj.png")).toBe('"evil\\u{202e}sj.png"');
    expect(quotePath("a\u0000b")).toBe('"a\\u0000b"');
    expect(quotePath("plain/名前.js")).toBe('"plain/名前.js"');
    expect(quotePath("index.js\u2800")).toBe('"index.js\\u{2800}"');
    expect(quotePath("my\u00A0file js")).toBe('"my\\u{a0}file js"');
  });
});

describe("the manifest's entry", () => {
  const manifest = { id: "p", name: "P", version: "1.0.0", category: "ui" };

  it.each(["index.js", "dist/main.mjs"])("may be the JavaScript module %s", (entry) => {
    expect(pluginManifestSchema.safeParse({ ...manifest, entry }).success).toBe(true);
  });

  it.each(["index.html", "icon.svg", "main.cjs", "index.js.map", "styles.css", "index"])(
    "may not be %s, naming the field",
    (entry) => {
      const result = pluginManifestSchema.safeParse({ ...manifest, entry });
      expect(result.error?.issues).toEqual([
        expect.objectContaining({
          path: ["entry"],
          message: "must be a JavaScript module, a path ending in .js or .mjs",
        }),
      ]);
    },
  );
});
