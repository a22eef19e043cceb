import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { archiveFormat, digestsOf, packFolder, readBundle } from "./bundle";
import { CliFailure } from "./failure";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function folderWith(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), "plugins-cli-bundle-"));
  folders.push(folder);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(folder, path, ".."), { recursive: true });
    writeFileSync(join(folder, path), text);
  }
  return folder;
}

const manifest = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({ id: "charts", name: "Charts", version: "1.2.0", category: "widgets", ...fields });

async function refusal(promise: Promise<unknown>): Promise<CliFailure> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CliFailure);
  return error as CliFailure;
}

describe("packFolder and readBundle", () => {
  it("packs every file under the folder, in path order, and digests each as the registry will", async () => {
    const folder = folderWith({
      "plugin.json": manifest(),
      "index.js": "export default 1;\n",
      "chunks/b.js": "b\n",
      "chunks/a.js": "a\n",
    });
    const archive = await packFolder(folder);
    expect(archiveFormat(archive)).toBe("tar.gz");
    const bundle = await readBundle(archive, "tar.gz");
    expect(bundle.manifest).toMatchObject({ id: "charts", version: "1.2.0" });
    expect(bundle.entry).toBe("index.js");
    expect(bundle.files.map((file) => file.path)).toEqual(["chunks/a.js", "chunks/b.js", "index.js", "plugin.json"]);
    expect(bundle.files.find((file) => file.path === "index.js")).toEqual({
      path: "index.js",
      size: 18,
      ...digestsOf(new TextEncoder().encode("export default 1;\n")),
    });
  });

  it("names the manifest's field in the registry's words", async () => {
    const folder = folderWith({ "plugin.json": manifest({ version: "one", colour: "red" }), "index.js": "x" });
    const failure = await refusal(packFolder(folder).then((archive) => readBundle(archive, "tar.gz")));
    expect(failure.exitCode).toBe(1);
    expect(failure.message).toContain('plugin.json.version: "one" is not a semver version like 1.2.3');
    expect(failure.message).toContain("colour");
  });

  it("refuses a bundle without plugin.json, an entry that is not there, and a server module that is the entry", async () => {
    const read = (files: Record<string, string>) =>
      packFolder(folderWith(files)).then((archive) => readBundle(archive, "tar.gz"));
    expect((await refusal(read({ "index.js": "x" }))).message).toMatch(/^no plugin\.json at the root/);
    expect((await refusal(read({ "plugin.json": manifest({ entry: "main.js" }), "index.js": "x" }))).message).toBe(
      'plugin.json: entry: the bundle has no file "main.js"',
    );
    const server = manifest({ kind: "source", server: "index.js" });
    expect((await refusal(read({ "plugin.json": server, "index.js": "x" }))).message).toMatch(
      /^plugin\.json: server: /,
    );
  });

  it("refuses a symbolic link instead of following it out of the folder", async () => {
    const folder = folderWith({ "plugin.json": manifest(), "index.js": "x" });
    symlinkSync("/etc/hostname", join(folder, "hostname"));
    expect((await refusal(packFolder(folder))).message).toBe(
      '"hostname" is a symbolic link; the registry stores files only',
    );
  });

  it("tells archives from other files by their first bytes", () => {
    expect(archiveFormat(new TextEncoder().encode("export default 1"))).toBeNull();
    expect(archiveFormat(Uint8Array.of(0x50, 0x4b, 0x03, 0x04))).toBe("zip");
    expect(archiveFormat(Uint8Array.of(0x1f, 0x8b, 0x08))).toBe("tar.gz");
  });
});
