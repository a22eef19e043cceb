/**
 * Multi-file bundles: a built folder uploaded as tar.gz or zip, each file stored, digested
 * and served with its own content type. Hostile archives (traversal, links, bombs, duplicate
 * or deceptive names) are refused with a 4xx through the HTTP API, storing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ArchiveFile,
  type Bytes,
  gzip,
  pluginFolder,
  publishFields,
  tarEntry,
  tarGz,
  uploadFields,
  utf8,
  zeroTarGz,
  zip,
} from "./archive-fixtures";
import { expectNothingChanged } from "./attack-helpers";
import { mintCast } from "./cast";
import { contentDigest, expectError, IMMUTABLE, pluginMetadata, sha256Hex, sriSha384, trpc, upload } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let alice: string;

beforeAll(async () => {
  stack = await startStack();
  alice = (await mintCast(stack)).alice;
});
afterAll(() => stack?.stop());

const CONTENT_TYPES: Record<string, string> = {
  "plugin.json": "application/json; charset=utf-8",
  "index.js": "text/javascript; charset=utf-8",
  "chunks/a.js": "text/javascript; charset=utf-8",
  "styles/main.css": "text/css; charset=utf-8",
  "index.js.map": "application/json; charset=utf-8",
  "logo.png": "image/png",
};

const formats: [string, (files: ArchiveFile[]) => Promise<Bytes>][] = [
  ["tar.gz", (files) => tarGz(files)],
  ["zip", (files) => zip(files)],
];

describe.each(formats)("a %s of a built folder", (format, pack) => {
  const id = `multi-${format.replace(".", "")}`;
  const files = pluginFolder({ id, version: "1.0.0" });
  const entry = files.find((file) => file.path === "index.js")?.bytes ?? new Uint8Array();
  let published: Record<string, unknown>;

  beforeAll(async () => {
    published = await publishFields(stack, { token: alice, file: await pack(files), fileName: `bundle.${format}` });
  });

  it("publishes with index.js as the default entry, the entry's digests and every file counted", () => {
    expect(published).toMatchObject({
      id,
      version: "1.0.0",
      status: "published",
      entry: "index.js",
      fileCount: files.length,
      size: files.reduce((sum, file) => sum + file.bytes.byteLength, 0),
      sha256: sha256Hex(entry),
      integrity: sriSha384(entry),
      permissions: [],
      dependencies: {},
      bundleUrl: `${stack.url}/plugins/bundles/${id}/v1.0.0/index.js`,
    });
  });

  it("serves every file byte-identical with its content type and immutable, cross-origin headers", async () => {
    for (const file of files) {
      // identity: a compressed answer (text types) carries no Content-Length.
      const response = await fetch(`${stack.url}/plugins/bundles/${id}/v1.0.0/${file.path}`, {
        headers: { "accept-encoding": "identity" },
      });
      expect(response.status, file.path).toBe(200);
      expect(response.headers.get("content-type"), file.path).toBe(CONTENT_TYPES[file.path]);
      expect(response.headers.get("cache-control")).toBe(IMMUTABLE);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(response.headers.get("content-length")).toBe(String(file.bytes.byteLength));
      expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(file.bytes)), file.path).toBe(true);
    }
  });

  it("lists every file in versions.get with sha256 and sha384 integrity matching the bytes", async () => {
    const version = await trpc(stack).versions.get.query({ pluginId: id, version: "1.0.0" });
    expect(version).toMatchObject({
      entry: "index.js",
      fileCount: files.length,
      integrity: sriSha384(entry),
      contentDigest: contentDigest(files, version.manifest),
      bundlePath: `/plugins/bundles/${id}/v1.0.0/index.js`,
    });
    const expected = [...files]
      .sort((a, b) => (a.path < b.path ? -1 : 1))
      .map((file) => ({
        path: file.path,
        size: file.bytes.byteLength,
        contentType: CONTENT_TYPES[file.path],
        sha256: sha256Hex(file.bytes),
        integrity: sriSha384(file.bytes),
        url: `/plugins/bundles/${id}/v1.0.0/${file.path}`,
      }));
    expect(version.files).toEqual(expected);
    for (const file of version.files) expect(file.integrity).toMatch(/^sha384-[A-Za-z0-9+/]{64}$/);
  });

  it("stores one R2 object per file, marked with its content type", async () => {
    const listed = await stack.bucket.list({ prefix: `${id}/1.0.0/` });
    expect(listed.objects.map((object) => object.key).sort()).toEqual(
      files.map((file) => `${id}/1.0.0/${file.path}`).sort(),
    );
    const logo = await stack.bucket.head(`${id}/1.0.0/logo.png`);
    expect(logo?.httpMetadata?.contentType).toBe("image/png");
  });

  it("answers the same folder packed in another order with 200 and the same record", async () => {
    const before = await stack.snapshot();
    const response = await uploadFields(stack, { token: alice, file: await pack([...files].reverse()) });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toEqual(published);
    expect(await stack.snapshot()).toEqual(before);
  });

  it("refuses the folder with one changed non-entry file under the same version (409), keeping the original", async () => {
    const changed = files.map((file) =>
      file.path === "chunks/a.js" ? { path: file.path, bytes: utf8("export const chunk = 'evil';\n") } : file,
    );
    const before = await stack.snapshot();
    await expectError(await uploadFields(stack, { token: alice, file: await pack(changed) }), 409, "CONFLICT");
    expect(await stack.snapshot()).toEqual(before);
    const served = await fetch(`${stack.url}/plugins/bundles/${id}/v1.0.0/chunks/a.js`);
    expect(await served.text()).toBe('export const chunk = "lazy 1";\n');
  });

  it("redirects the floating URL without a path to the entry and with a path to that file", async () => {
    const bare = await fetch(`${stack.url}/plugins/bundles/${id}@latest`, { redirect: "manual" });
    expect(bare.headers.get("location")).toBe(`${stack.url}/plugins/bundles/${id}/v1.0.0/index.js`);
    const css = await fetch(`${stack.url}/plugins/bundles/${id}@^1/styles/main.css`, { redirect: "manual" });
    expect(css.headers.get("location")).toBe(`${stack.url}/plugins/bundles/${id}/v1.0.0/styles/main.css`);
  });
});

describe("the manifest in plugin.json", () => {
  it("honours its entry field", async () => {
    const files: ArchiveFile[] = [
      {
        path: "plugin.json",
        bytes: utf8(JSON.stringify(pluginMetadata({ id: "custom-entry", entry: "dist/main.mjs" }))),
      },
      { path: "dist/main.mjs", bytes: utf8("export default 'main';\n") },
      { path: "index.js", bytes: utf8("export default 'not the entry';\n") },
    ];
    const body = await publishFields(stack, { token: alice, file: await tarGz(files) });
    expect(body).toMatchObject({
      entry: "dist/main.mjs",
      sha256: sha256Hex("export default 'main';\n"),
      bundleUrl: `${stack.url}/plugins/bundles/custom-entry/v1.0.0/dist/main.mjs`,
    });
    const resolved = await trpc(stack).plugins.resolve.query({ pluginId: "custom-entry" });
    expect(resolved).toMatchObject({ entry: "dist/main.mjs", integrity: sriSha384("export default 'main';\n") });
    const served = await fetch(String(body.bundleUrl));
    expect(served.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await served.text()).toBe("export default 'main';\n");
  });

  it("is found inside a single wrapper folder (package/ as npm packs it)", async () => {
    const files = pluginFolder({ id: "wrapped" }).map((file) => ({ path: `package/${file.path}`, bytes: file.bytes }));
    const body = await publishFields(stack, { token: alice, file: await tarGz(files) });
    expect(body).toMatchObject({ entry: "index.js", fileCount: files.length });
    expect((await fetch(`${stack.url}/plugins/bundles/wrapped/v1.0.0/chunks/a.js`)).status).toBe(200);
  });

  it("accepts metadata beside the archive when it is the same manifest, once parsed", async () => {
    const config = { type: "object", properties: { size: { type: "integer" }, theme: { type: "string" } } };
    const folder = pluginFolder({ id: "agreeing", version: "2.0.0", config });
    const [manifestFile] = folder;
    const manifest = JSON.parse(new TextDecoder().decode(manifestFile?.bytes)) as Record<string, unknown>;
    // Other key order, `v` before the version, the default description spelled out: the same manifest.
    const { id, ...rest } = manifest;
    const metadata = {
      ...rest,
      id,
      version: "v2.0.0",
      config: { properties: { theme: { type: "string" }, size: { type: "integer" } }, type: "object" },
      permissions: [],
    };
    const body = await publishFields(stack, { token: alice, file: await zip(folder), metadata });
    expect(body.version).toBe("2.0.0");
  });

  it("takes its permissions and dependencies into the answer", async () => {
    const body = await publishFields(stack, {
      token: alice,
      file: await tarGz(
        pluginFolder({ id: "needy", permissions: ["payments:read"], dependencies: { "multi-targz": "^1.0.0" } }),
      ),
    });
    expect(body).toMatchObject({ permissions: ["payments:read"], dependencies: { "multi-targz": "^1.0.0" } });
  });
});

describe("refuses through the HTTP API, with a 4xx and nothing stored", () => {
  async function expectArchiveRefusal(
    send: () => Promise<Response>,
    status: number,
    code: string,
    target = stack,
  ): Promise<string> {
    const before = await target.snapshot();
    const response = await send();
    expect(response.status, `a refusal, not a failure: ${await response.clone().text()}`).toBeLessThan(500);
    const message = await expectError(response, status, code);
    expect(await target.snapshot()).toEqual(before);
    return message;
  }

  const refuse = (file: Uint8Array, extra: { metadata?: Record<string, unknown> } = {}) =>
    expectArchiveRefusal(() => uploadFields(stack, { token: alice, file, ...extra }), 400, "BAD_REQUEST");

  it("an archive without plugin.json (400)", async () => {
    const files = pluginFolder({ id: "no-manifest" }).filter((file) => file.path !== "plugin.json");
    for (const archive of [await tarGz(files), await zip(files)]) {
      expect(await refuse(archive)).toMatch(/^file: .*plugin\.json/);
    }
  });

  it("metadata that disagrees with plugin.json in any field (400 naming the first that differs)", async () => {
    const config = { type: "object", properties: { size: { type: "integer" } } };
    const folder = pluginFolder({ id: "disagree", version: "1.0.0", entry: "index.js", config });
    const archive = await tarGz(folder);
    const manifest = JSON.parse(new TextDecoder().decode(folder[0]?.bytes)) as Record<string, unknown>;
    const differing: Array<[Record<string, unknown>, string]> = [
      [{ version: "1.0.1" }, "version"],
      [{ id: "other" }, "id"],
      [{ name: "Another Name" }, "name"],
      [{ entry: "chunks/a.js" }, "entry"],
      [{ entry: undefined }, "entry"],
      [{ config: { type: "object", properties: { size: { type: "string" } } } }, "config"],
      [{ config: undefined }, "config"],
      [{ name: "Another Name", config: {} }, "name"],
    ];
    for (const [change, field] of differing) {
      const message = await refuse(archive, { metadata: { ...manifest, ...change } });
      expect(message).toMatch(new RegExp(`^metadata\\.${field}: differs from plugin\\.json`));
    }
  });

  it("an invalid field in plugin.json (400 naming plugin.json.version)", async () => {
    const archive = await zip(pluginFolder({ id: "bad-manifest", version: "one" }));
    expect(await refuse(archive)).toMatch(/(^|; )plugin\.json\.version: /);
    const notJson = await tarGz([
      { path: "plugin.json", bytes: utf8("{ id: nope") },
      { path: "index.js", bytes: utf8("1") },
    ]);
    expect(await refuse(notJson)).toMatch(/^plugin\.json: .*JSON/);
  });

  it("a manifest entry that is not in the archive (400 naming entry)", async () => {
    const archive = await tarGz(pluginFolder({ id: "lost-entry", entry: "dist/missing.js" }));
    expect(await refuse(archive)).toMatch(/^entry: .*dist\/missing\.js/);
  });

  it("a path traversal (../evil.js), in tar.gz and zip", async () => {
    const files = [...pluginFolder({ id: "traversal" }), { path: "../evil.js", bytes: utf8("evil()") }];
    for (const archive of [await tarGz(files), await zip(files)]) {
      expect(await refuse(archive)).toContain("../evil.js");
    }
    const nested = [...pluginFolder({ id: "traversal" }), { path: "chunks/../../evil.js", bytes: utf8("evil()") }];
    expect(await refuse(await tarGz(nested))).toContain("..");
    const absolute = [...pluginFolder({ id: "traversal" }), { path: "/etc/evil.js", bytes: utf8("evil()") }];
    expect(await refuse(await tarGz(absolute))).toMatch(/absolute/);
  });

  it("a symbolic link, in tar.gz and zip", async () => {
    const files = pluginFolder({ id: "linked" });
    const tar = await tarGz(files, [
      { header: { name: "passwd.js", size: 0, type: "symlink", linkname: "/etc/passwd" } },
    ]);
    expect(await refuse(tar)).toMatch(/symbolic link/);
    const zipped = await zip([...files, { path: "passwd.js", bytes: utf8("/etc/passwd"), unixMode: 0o120777 }]);
    expect(await refuse(zipped)).toMatch(/symbolic link/);
  });

  it("duplicate names, exact in a tar.gz and differing only in case in a zip", async () => {
    const files = pluginFolder({ id: "duplicated" });
    const tar = await tarGz(files, [tarEntry("index.js", utf8("export default 'second';\n"))]);
    expect(await refuse(tar)).toMatch(/index\.js/);
    const zipped = await zip([...files, { path: "INDEX.js", bytes: utf8("export default 'shadow';\n") }]);
    expect(await refuse(zipped)).toMatch(/INDEX\.js/);
  });

  it("a gzip bomb (413)", async () => {
    const bomb = await zeroTarGz("index.js", 64);
    expect(bomb.byteLength).toBeLessThan(1024 * 1024);
    const message = await expectArchiveRefusal(
      () => uploadFields(stack, { token: alice, file: bomb }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
    expect(message).toMatch(/^file: /);
  });

  it("garbage that starts with the gzip magic (400)", async () => {
    const garbage = new Uint8Array(4096);
    crypto.getRandomValues(garbage);
    garbage.set([0x1f, 0x8b], 0);
    expect(await refuse(garbage)).toMatch(/^file: .*tar\.gz/);
  });

  it("a gzip that is not a tar inside (400)", async () => {
    expect(await refuse(await gzip(utf8("export default 'just gzipped JS';\n".repeat(40))))).toMatch(/^file: /);
  });

  it("an archive with no files at all (400)", async () => {
    expect(await refuse(await tarGz([]))).toMatch(/^file: /);
  });

  describe("with MAX_FILES=3", () => {
    let few: Stack;
    let token: string;
    beforeAll(async () => {
      few = await startStack({ pluginsBindings: { MAX_FILES: "3" } });
      token = (await mintCast(few)).alice;
    });
    afterAll(() => few?.stop());

    it("refuses an archive of four files (413) and stores nothing", async () => {
      const files = pluginFolder({ id: "crowded" }).slice(0, 4);
      for (const archive of [await tarGz(files), await zip(files)]) {
        const message = await expectArchiveRefusal(
          () => uploadFields(few, { token, file: archive }),
          413,
          "PAYLOAD_TOO_LARGE",
          few,
        );
        expect(message).toMatch(/^file: .*3 files/);
      }
    });

    it("accepts three", async () => {
      const files = pluginFolder({ id: "crowded" }).slice(0, 3);
      const body = await publishFields(few, { token, file: await zip(files) });
      expect(body.fileCount).toBe(3);
    });
  });
});

describe("deceptive file names are refused 400, the name escaped, storing nothing", () => {
  beforeAll(async () => {
    await publishFields(stack, { token: alice, file: await tarGz(pluginFolder({ id: "multi", version: "1.0.0" })) });
  });

  it.each([
    ["a zero-width space", "index\u200B.js", '"index\\u{200b}.js"'],
    ["a right-to-left override", "chunks/gnp\u202E.js", '"chunks/gnp\\u{202e}.js"'],
    ["a first-strong isolate", "a\u2068.js", '"a\\u{2068}.js"'],
    // Inside the name: a leading one is dropped by the tar reader's UTF-8 decoding.
    ["a byte-order mark", "chunks/\uFEFFc.js", '"chunks/\\u{feff}c.js"'],
    ["a trailing dot", "index.js.", '"index.js."'],
    ["a trailing space", "chunks/a.js ", '"chunks/a.js "'],
    ["a folder with a trailing dot", "chunks./b.js", '"chunks./b.js"'],
    ["a trailing Braille pattern blank", "index.js\u2800", '"index.js\\u{2800}"'],
    ["a Braille pattern blank inside", "index\u2800.js", '"index\\u{2800}.js"'],
    ["a Hangul filler", "chunks/a\u3164.js", '"chunks/a\\u{3164}.js"'],
    ["a halfwidth Hangul filler", "chunks/a\uFFA0.js", '"chunks/a\\u{ffa0}.js"'],
    ["Hangul choseong and jungseong fillers", "chunks/a\u115F\u1160.js", '"chunks/a\\u{115f}\\u{1160}.js"'],
    ["a no-break space", "my\u00A0file.js", '"my\\u{a0}file.js"'],
    ["an em space", "a\u2003b.js", '"a\\u{2003}b.js"'],
    ["an ideographic space", "a\u3000b.js", '"a\\u{3000}b.js"'],
  ])("an archive entry with %s", async (_, path, quoted) => {
    const files = [...pluginFolder({ id: "deceptive", version: "1.0.0" }), { path, bytes: utf8("1") }];
    await expectNothingChanged(stack, async () => {
      const response = await uploadFields(stack, { token: alice, file: await tarGz(files) });
      const message = await expectError(response, 400, "BAD_REQUEST");
      expect(message).toContain(`file: archive entry ${quoted}:`);
      // The message shows what the name holds: no invisible character survives into it.
      expect(message).not.toMatch(/[\p{Cf}\u3164\u2800\u00A0\u3000]/u);
    });
  });

  it("an archive entry with an ordinary space inside its name is published", async () => {
    const files = [...pluginFolder({ id: "spaced", version: "1.0.0" }), { path: "my file.js", bytes: utf8("1") }];
    const response = await uploadFields(stack, { token: alice, file: await tarGz(files) });
    expect(response.status, await response.clone().text()).toBe(201);
  });

  it("an entry with a zero-width space in the manifest (400 naming metadata.entry)", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await upload(stack, {
        token: alice,
        metadata: pluginMetadata({ id: "deceptive-single", entry: "bundle\u200B.js" }),
      });
      expect(await expectError(response, 400, "BAD_REQUEST")).toMatch(/^metadata\.entry: /);
    });
  });

  it("a bundle URL naming such a file answers 404 even for an object planted in R2", async () => {
    await stack.bucket.put("multi/1.0.0/index\u200B.js", "export default 'planted';\n", {
      httpMetadata: { contentType: "text/javascript; charset=utf-8" },
    });
    for (const path of ["index%E2%80%8B.js", "index.js.", "index.js%20"]) {
      const response = await fetch(`${stack.url}/plugins/bundles/multi/v1.0.0/${path}`);
      await response.arrayBuffer();
      expect(response.status, path).toBe(404);
    }
  });
});
