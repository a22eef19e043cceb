/**
 * The bench's bundle as an npm package, for the Verdaccio peer: the tarball `npm pack` would
 * make of it, and the body `npm publish` sends (`PUT /<name>`).
 */

import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { packTar } from "modern-tar";

export interface NpmPackage {
  name: string;
  version: string;
  /** Files of the package, by path inside it; package.json is added. */
  files: Record<string, string>;
}

/** npm's fixed mtime for packed entries, so the same package gives the same bytes. */
const PACKED_MTIME = new Date("1985-10-26T08:15:00.000Z");

export function tarballName(pkg: NpmPackage): string {
  return `${pkg.name}-${pkg.version}.tgz`;
}

/**
 * The package as a .tgz with every file under `package/`. Gzip at level 0 (stored blocks): the
 * peer's tarball GET then carries the same bytes as the platform's file GET, rather than the few
 * hundred a compressible bench file shrinks to.
 */
export async function npmTarball(pkg: NpmPackage): Promise<Buffer> {
  const manifest = JSON.stringify({ name: pkg.name, version: pkg.version, main: Object.keys(pkg.files)[0] }, null, 2);
  const files = { "package.json": manifest, ...pkg.files };
  const tar = await packTar(
    Object.entries(files).map(([path, text]) => {
      const body = new TextEncoder().encode(text);
      return { header: { name: `package/${path}`, size: body.byteLength, mode: 0o644, mtime: PACKED_MTIME }, body };
    }),
  );
  return gzipSync(tar, { level: 0 });
}

/** The JSON body of `npm publish` for the package, its tarball attached, tagged `latest`. */
export function publishBody(pkg: NpmPackage, tarball: Buffer, registry: string): Record<string, unknown> {
  const file = tarballName(pkg);
  return {
    _id: pkg.name,
    name: pkg.name,
    "dist-tags": { latest: pkg.version },
    versions: {
      [pkg.version]: {
        _id: `${pkg.name}@${pkg.version}`,
        name: pkg.name,
        version: pkg.version,
        dist: {
          tarball: `${registry}/${pkg.name}/-/${file}`,
          shasum: createHash("sha1").update(tarball).digest("hex"),
          integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`,
        },
      },
    },
    _attachments: {
      [file]: {
        content_type: "application/octet-stream",
        data: tarball.toString("base64"),
        length: tarball.byteLength,
      },
    },
  };
}
