import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { unpackTar } from "modern-tar";
import { describe, expect, it } from "vitest";
import { npmTarball, publishBody, tarballName } from "./npm-package";

const pkg = {
  name: "bench-plugin",
  version: "1.0.0",
  files: { "bundle.js": `export default "${"x".repeat(1000)}";\n` },
};

describe("npmTarball", () => {
  it("packs package.json and the files under package/, as npm pack does", async () => {
    const entries = await unpackTar(gunzipSync(await npmTarball(pkg)));
    const text = (data: Uint8Array | undefined) => new TextDecoder().decode(data);
    expect(entries.map((entry) => entry.header.name)).toEqual(["package/package.json", "package/bundle.js"]);
    expect(JSON.parse(text(entries[0]?.data))).toEqual({ name: "bench-plugin", version: "1.0.0", main: "bundle.js" });
    expect(text(entries[1]?.data)).toBe(pkg.files["bundle.js"]);
  });

  it("stores the files uncompressed, so the tarball carries as many bytes as the file", async () => {
    const tarball = await npmTarball(pkg);
    expect(tarball.byteLength).toBeGreaterThan(pkg.files["bundle.js"].length);
  });

  it("gives the same bytes for the same package", async () => {
    expect((await npmTarball(pkg)).equals(await npmTarball(pkg))).toBe(true);
  });
});

describe("publishBody", () => {
  it("attaches the tarball and describes it in the version's dist, as npm publish does", async () => {
    const tarball = await npmTarball(pkg);
    const body = publishBody(pkg, tarball, "http://127.0.0.1:4873") as {
      "dist-tags": Record<string, string>;
      versions: Record<string, { dist: { tarball: string; shasum: string; integrity: string } }>;
      _attachments: Record<string, { data: string; length: number }>;
    };
    expect(tarballName(pkg)).toBe("bench-plugin-1.0.0.tgz");
    expect(body["dist-tags"]).toEqual({ latest: "1.0.0" });
    expect(body.versions["1.0.0"]?.dist).toEqual({
      tarball: "http://127.0.0.1:4873/bench-plugin/-/bench-plugin-1.0.0.tgz",
      shasum: createHash("sha1").update(tarball).digest("hex"),
      integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`,
    });
    const attachment = body._attachments["bench-plugin-1.0.0.tgz"];
    expect(Buffer.from(attachment?.data ?? "", "base64").equals(tarball)).toBe(true);
    expect(attachment?.length).toBe(tarball.byteLength);
  });
});
