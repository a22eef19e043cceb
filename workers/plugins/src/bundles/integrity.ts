import { encodeBase64, sha256Hex, sha384 } from "@plugins/runtime";
import canonicalize from "canonicalize";

/** Digests recorded for every stored file: hex sha256 for identity, sha384 SRI for browsers. */
export interface FileDigests {
  sha256: string;
  integrity: string;
}

export async function digestFile(bytes: Uint8Array<ArrayBuffer>): Promise<FileDigests> {
  const [identity, integrity] = await Promise.all([sha256Hex(bytes), sha384(bytes)]);
  return { sha256: identity, integrity: `sha384-${encodeBase64(integrity)}` };
}

/**
 * One digest for a whole version: equal exactly when the manifest, every path and every
 * file's bytes are equal, whatever order the archive listed them in. A republish compares
 * this, so the same bytes with other metadata are a different version, not a no-op.
 */
export async function digestContent(
  files: ReadonlyArray<{ path: string; sha256: string }>,
  manifest: unknown,
): Promise<string> {
  const listing = [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((file) => `${file.sha256}  ${file.path}\n`)
    .join("");
  // RFC 8785 canonical JSON: the same manifest always hashes the same, in any key order.
  const text = `${listing}manifest ${canonicalize(manifest)}\n`;
  return sha256Hex(text);
}
