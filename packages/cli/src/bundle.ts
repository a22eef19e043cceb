/**
 * What `plugins publish` sends: a built folder packed as tar.gz, or an archive the build made,
 * read back the way the registry reads it before anything is sent, so a bundle the registry
 * would refuse (its manifest, a path, a link, a size) is refused here, naming the problem.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { gzipSync } from "node:zlib";
import {
  ARCHIVE_DEFAULT_ENTRY,
  checkListingFiles,
  describeIssues,
  MANIFEST_FILE,
  type PluginManifest,
  pluginManifestJsonSchema,
  quotePath,
} from "@plugins/schema";
import { packTar } from "modern-tar";
// The registry's own archive reader (web streams only, so it runs in Node as in workerd):
// the same refusals, the same wrapper-folder rule, the same default limits.
import { BundleRejection, detectBundleFormat, readBundleArchive } from "../../../workers/plugins/src/bundles/archive";
import { CliFailure } from "./failure";

export type ArchiveFormat = "tar.gz" | "zip";

/** One file of the bundle with the digests the registry will list for it. */
export interface DigestedFile {
  path: string;
  size: number;
  /** Hex. */
  sha256: string;
  /** Subresource Integrity, `sha384-<base64>`. */
  integrity: string;
}

export interface Bundle {
  /** The archive's bytes, as they are uploaded. */
  archive: Uint8Array<ArrayBuffer>;
  format: ArchiveFormat;
  manifest: PluginManifest;
  /** The file a host imports. */
  entry: string;
  /** In path order. */
  files: DigestedFile[];
}

/** The format of an archive by its magic bytes; anything but zip or gzip is no archive. */
export function archiveFormat(bytes: Uint8Array): ArchiveFormat | null {
  const format = detectBundleFormat(bytes);
  return format === "js" ? null : format;
}

/**
 * Packs every file under `folder` into a tar.gz, paths relative to it, in path order. A
 * symbolic link is refused rather than followed: the registry stores files, and following
 * one would publish bytes from outside the folder.
 */
export async function packFolder(folder: string): Promise<Uint8Array<ArrayBuffer>> {
  const found = await readdir(folder, { recursive: true, withFileTypes: true });
  const paths: string[] = [];
  for (const item of found) {
    const path = relative(folder, join(item.parentPath, item.name)).split(sep).join("/");
    if (item.isSymbolicLink()) {
      throw CliFailure.refused(
        "INVALID_BUNDLE",
        `${quotePath(path)} is a symbolic link; the registry stores files only`,
      );
    }
    if (item.isFile()) paths.push(path);
    else if (!item.isDirectory()) {
      throw CliFailure.refused("INVALID_BUNDLE", `${quotePath(path)} is not a file or a folder`);
    }
  }
  paths.sort();
  const entries = await Promise.all(
    paths.map(async (path) => {
      const body = await readFile(join(folder, path));
      return { header: { name: path, size: body.byteLength, type: "file" as const, mode: 0o644 }, body };
    }),
  );
  const gzipped = gzipSync(await packTar(entries));
  return new Uint8Array(gzipped.buffer.slice(gzipped.byteOffset, gzipped.byteOffset + gzipped.byteLength));
}

/** Reads an archive as the registry will, checks its manifest and files, and digests every file. */
export async function readBundle(archive: Uint8Array<ArrayBuffer>, format: ArchiveFormat): Promise<Bundle> {
  let files: Awaited<ReturnType<typeof readBundleArchive>>;
  try {
    files = await readBundleArchive(archive, format);
  } catch (error) {
    if (error instanceof BundleRejection) throw CliFailure.refused("INVALID_BUNDLE", error.message);
    throw error;
  }
  const manifestFile = files.find((file) => file.path === MANIFEST_FILE);
  if (!manifestFile) {
    throw CliFailure.refused(
      "INVALID_BUNDLE",
      `no ${MANIFEST_FILE} at the root: publish the built folder that holds it`,
    );
  }
  const parsed = pluginManifestJsonSchema.safeParse(new TextDecoder().decode(manifestFile.bytes));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ ...issue, path: [MANIFEST_FILE, ...issue.path] }));
    throw CliFailure.refused("INVALID_BUNDLE", describeIssues(issues));
  }
  const manifest = parsed.data;
  const entry = manifest.entry ?? ARCHIVE_DEFAULT_ENTRY;
  const paths = new Set(files.map((file) => file.path));
  if (!paths.has(entry)) {
    throw CliFailure.refused("INVALID_BUNDLE", `${MANIFEST_FILE}: entry: the bundle has no file ${quotePath(entry)}`);
  }
  if (manifest.server !== undefined && (manifest.server === entry || !paths.has(manifest.server))) {
    throw CliFailure.refused(
      "BAD_REQUEST",
      `${MANIFEST_FILE}: server: ${quotePath(manifest.server)} must be a file of the bundle other than the entry`,
    );
  }
  const listing = checkListingFiles(manifest, files);
  if (!listing.ok) throw CliFailure.refused("BAD_REQUEST", `${MANIFEST_FILE}: ${listing.problem}`);
  const digested = files
    .map((file) => ({ path: file.path, size: file.bytes.byteLength, ...digestsOf(file.bytes) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { archive, format, manifest, entry, files: digested };
}

/** The two digests the registry lists for a file: hex sha256 and the sha384 SRI browsers check. */
export function digestsOf(bytes: Uint8Array): { sha256: string; integrity: string } {
  return {
    sha256: createHash("sha256").update(bytes).digest("hex"),
    integrity: `sha384-${createHash("sha384").update(bytes).digest("base64")}`,
  };
}
