/**
 * The manifest's listing fields (displayName, readme, icon, homepage, repository, bugs,
 * keywords): accepted and checked at publish, the readme's text stored beside the version,
 * and served by plugins.get, versions.get and plugins.search. A refusal is a 400 naming the
 * field that stores nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MiB, PNG, pluginFolder, publishFields, tarGz, uploadFields, utf8, zip } from "./archive-fixtures";
import { mintCast } from "./cast";
import { expectError, expectTrpcError, pluginMetadata, publish, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let alice: string;

const README = "# Charts\n\nDraws **charts** on a dashboard. ✓\n\n<script>alert(1)</script>\n";

/** An archive of pluginFolder's files plus `extra`, with `manifest` over its plugin.json. */
function folder(
  manifest: Record<string, unknown>,
  extra: Array<{ path: string; bytes: Uint8Array<ArrayBuffer> }> = [],
) {
  return tarGz([...pluginFolder(manifest), ...extra]);
}

beforeAll(async () => {
  stack = await startStack();
  alice = (await mintCast(stack)).alice;
});
afterAll(() => stack?.stop());

describe("a version with every listing field", () => {
  const listing = {
    displayName: "Charts for Dashboards",
    readme: "docs/README.md",
    icon: "logo.png",
    homepage: "https://example.com/charts",
    repository: { type: "git", url: "https://example.com/acme/charts.git" },
    bugs: "https://example.com/acme/charts/issues",
    keywords: ["graph", "visualisation"],
  };

  beforeAll(async () => {
    await publishFields(stack, {
      token: alice,
      file: await folder({ id: "listed", ...listing }, [{ path: "docs/README.md", bytes: utf8(README) }]),
    });
  });

  it("is served by plugins.get: the readme's text, the icon's bundle URL, the links and keywords", async () => {
    const plugin = await trpc(stack).plugins.get.query({ pluginId: "listed" });
    expect(plugin).toMatchObject({
      id: "listed",
      displayName: "Charts for Dashboards",
      readme: README,
      iconUrl: "/plugins/bundles/listed/v1.0.0/logo.png",
      homepage: "https://example.com/charts",
      repository: "https://example.com/acme/charts.git",
      bugs: "https://example.com/acme/charts/issues",
      keywords: ["graph", "visualisation"],
    });
    // The version list carries no readme: only the one of the version shown.
    expect(plugin.versions[0]).not.toHaveProperty("readme");
  });

  it("is served by versions.get, and the stored manifest keeps the fields as given", async () => {
    const version = await trpc(stack).versions.get.query({ pluginId: "listed", version: "1.0.0" });
    expect(version).toMatchObject({
      displayName: "Charts for Dashboards",
      readme: README,
      iconUrl: "/plugins/bundles/listed/v1.0.0/logo.png",
      repository: "https://example.com/acme/charts.git",
      keywords: ["graph", "visualisation"],
    });
    expect(version.manifest).toMatchObject(listing);
  });

  it("stores the readme's text in the version's row, readable without the bundle", async () => {
    const { rows } = await stack.db.query("select readme from plugin_versions where plugin_id = 'listed'");
    expect(rows).toEqual([{ readme: README }]);
  });

  it("serves the icon at its URL as the image it is", async () => {
    const plugin = await trpc(stack).plugins.get.query({ pluginId: "listed" });
    const response = await fetch(`${stack.url}${plugin.iconUrl}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(PNG);
  });
});

describe("the readme", () => {
  it("can be given inline beside a single-file bundle, with a homepage (no longer an unknown field)", async () => {
    await publish(
      stack,
      alice,
      pluginMetadata({
        id: "inline-readme",
        readme: { text: "# Inline\n\nFrom the metadata." },
        homepage: "https://example.com/inline",
      }),
    );
    const plugin = await trpc(stack).plugins.get.query({ pluginId: "inline-readme" });
    expect(plugin).toMatchObject({
      readme: "# Inline\n\nFrom the metadata.",
      homepage: "https://example.com/inline",
      iconUrl: null,
      displayName: null,
      repository: null,
      bugs: null,
      keywords: [],
    });
  });

  it("shown by plugins.get is the latest version's; versions.get gives each version's own", async () => {
    for (const [version, text] of [
      ["1.0.0", "first"],
      ["1.1.0", "second"],
      ["2.0.0-beta.1", "prerelease"],
    ]) {
      await publish(stack, alice, pluginMetadata({ id: "readme-versions", version, readme: { text } }));
    }
    const plugin = await trpc(stack).plugins.get.query({ pluginId: "readme-versions" });
    expect(plugin.distTags.latest).toBe("1.1.0");
    expect(plugin.readme).toBe("second");
    const first = await trpc(stack).versions.get.query({ pluginId: "readme-versions", version: "1.0.0" });
    expect(first.readme).toBe("first");
  });

  it("is null for a plugin whose manifest has none", async () => {
    await publish(stack, alice, pluginMetadata({ id: "no-readme" }));
    const plugin = await trpc(stack).plugins.get.query({ pluginId: "no-readme" });
    expect(plugin.readme).toBeNull();
    const { rows } = await stack.db.query("select readme from plugin_versions where plugin_id = 'no-readme'");
    expect(rows).toEqual([{ readme: null }]);
  });
});

describe("refuses a listing field it cannot accept (400 naming the field), storing nothing", () => {
  /** A publish under `pluginId` that must be refused: the envelope, a message naming the field, no row or object, no plugin. */
  async function expectRefused(pluginId: string, send: () => Promise<Response>, message: RegExp): Promise<void> {
    const before = await stack.snapshot();
    const refused = await expectError(await send(), 400, "BAD_REQUEST");
    expect(refused).toMatch(message);
    expect(await stack.snapshot()).toEqual(before);
    await expectTrpcError(trpc(stack).plugins.get.query({ pluginId }), "NOT_FOUND", 404);
  }

  it.each([
    ["homepage", { homepage: "http://example.com" }, /^metadata\.homepage: must be an https URL/],
    ["bugs", { bugs: "javascript:alert(1)" }, /^metadata\.bugs: must be an https URL/],
    [
      "repository",
      { repository: { type: "git", url: "data:text/html,<b>x</b>" } },
      /^metadata\.repository\.url: must be an https URL/,
    ],
    ["displayName", { displayName: "Two\nlines" }, /^metadata\.displayName: must be one line of plain text/],
    ["keywords", { keywords: ["chart", "CHART"] }, /^metadata\.keywords\.1: repeats "CHART"$/],
    [
      "keywords",
      { keywords: Array.from({ length: 21 }, (_, index) => `k${index}`) },
      /^metadata\.keywords: must list at most 20 keywords$/,
    ],
    ["icon", { icon: "favicon.ico" }, /^metadata\.icon: must be an image: a path ending in \.png/],
    [
      "readme",
      { readme: "# Not a path\n\nMarkdown given as a plain string." },
      /^metadata\.readme: must name a file of the bundle ending in \.md, \.markdown or \.txt; give Markdown text as \{"text": "…"\}$/,
    ],
    [
      "readme",
      { readme: "README.md" },
      /^readme: a single-file bundle holds only its entry \("bundle\.js"\), not "README\.md"; publish an archive with the file, or give the readme inline as \{"text": "…"\}$/,
    ],
    [
      "icon",
      { icon: "icon.svg" },
      /^icon: a single-file bundle holds only its entry \("bundle\.js"\), not "icon\.svg"; publish an archive with the file$/,
    ],
  ])("%s beside a single file: %j", async (_, fields, message) => {
    const pluginId = `refused-${Math.random().toString(36).slice(2, 10)}`;
    await expectRefused(
      pluginId,
      () =>
        uploadFields(stack, {
          token: alice,
          file: "export default 1;\n",
          metadata: pluginMetadata({ id: pluginId, ...fields }),
        }),
      message,
    );
  });

  it.each([
    [
      "a readme file the bundle lacks",
      { readme: "README.md" },
      [],
      /^readme: "README\.md" is not a file of the bundle$/,
    ],
    ["an icon file the bundle lacks", { icon: "icon.svg" }, [], /^icon: "icon\.svg" is not a file of the bundle$/],
    [
      "a readme that is not UTF-8",
      { readme: "README.md" },
      [{ path: "README.md", bytes: Uint8Array.from([0x23, 0x20, 0xc3, 0x28]) }],
      /^readme: "README\.md" is not UTF-8 text$/,
    ],
    [
      "a readme over 256 KiB",
      { readme: "README.md" },
      [{ path: "README.md", bytes: utf8("a".repeat(MiB / 4 + 1)) }],
      /^readme: "README\.md" is 262145 bytes; a readme is at most 262144$/,
    ],
    [
      "an https-less homepage in plugin.json",
      { homepage: "ftp://example.com" },
      [],
      /^plugin\.json\.homepage: must be an https URL/,
    ],
  ])("%s in an archive", async (_, fields, extra, message) => {
    const pluginId = `refused-${Math.random().toString(36).slice(2, 10)}`;
    const file = await zip([...pluginFolder({ id: pluginId, ...fields }), ...extra]);
    await expectRefused(pluginId, () => uploadFields(stack, { token: alice, file }), message);
  });
});

describe("search", () => {
  beforeAll(async () => {
    await publishFields(stack, {
      token: alice,
      file: await folder({
        id: "kw-plot",
        name: "Plotter",
        description: "Draws lines",
        displayName: "Plotter Deluxe",
        icon: "logo.png",
        keywords: ["sparkline", "histogram"],
      }),
    });
    await publish(stack, alice, pluginMetadata({ id: "kw-other", name: "Other", description: "Something else" }));
  });

  it("finds a plugin by a keyword found nowhere else, and lists its display name, keywords and icon URL", async () => {
    const { items } = await trpc(stack).plugins.search.query({ query: "histogram" });
    expect(items).toEqual([
      expect.objectContaining({
        id: "kw-plot",
        displayName: "Plotter Deluxe",
        keywords: ["sparkline", "histogram"],
        iconUrl: "/plugins/bundles/kw-plot/v1.0.0/logo.png",
      }),
    ]);
  });

  it("finds a plugin by a word of its display name", async () => {
    const { items } = await trpc(stack).plugins.search.query({ query: "deluxe" });
    expect(items.map((item) => item.id)).toEqual(["kw-plot"]);
  });

  it("lists a plugin without listing fields with null and empty ones", async () => {
    const { items } = await trpc(stack).plugins.search.query({ query: "something" });
    expect(items).toEqual([
      expect.objectContaining({ id: "kw-other", displayName: null, keywords: [], iconUrl: null }),
    ]);
  });

  it("takes the listing fields of the version latest moves to", async () => {
    await publishFields(stack, {
      token: alice,
      file: await folder({ id: "kw-plot", version: "1.1.0", name: "Plotter", keywords: ["boxplot"] }),
    });
    expect((await trpc(stack).plugins.search.query({ query: "histogram" })).items).toEqual([]);
    const { items } = await trpc(stack).plugins.search.query({ query: "boxplot" });
    expect(items).toEqual([
      expect.objectContaining({ id: "kw-plot", displayName: null, keywords: ["boxplot"], iconUrl: null }),
    ]);
  });
});
