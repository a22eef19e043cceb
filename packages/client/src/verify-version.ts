import {
  filesDigest,
  type KeySet,
  type SignatureProblem,
  type VersionSignature,
  verifyVersionSignature,
} from "@plugins/schema";

/** What a version's check needs: a package-document version, or `versions.get`'s answer. */
export interface VerifiableVersion {
  /** The entry file's SRI. */
  integrity: string;
  files: ReadonlyArray<{ path: string; integrity: string }>;
  signature?: VersionSignature | null;
}

/**
 * Checks that `version` of `pluginId` is what the registry signed: the digest of its file
 * list (every path with its SRI) and its entry's SRI, under a key of `keys` that has not
 * expired at `now`. Null when it verifies; otherwise why not. The files' bytes are checked
 * against their SRI by whoever downloads them (a browser does it for `integrity`).
 */
export async function verifyVersion(
  pluginId: string,
  versionNumber: string,
  version: VerifiableVersion,
  keys: KeySet,
  now = new Date(),
): Promise<SignatureProblem | null> {
  const stated = {
    plugin: pluginId,
    version: versionNumber,
    entry: version.integrity,
    files: await filesDigest(version.files),
  };
  return verifyVersionSignature(stated, version.signature, keys, now);
}
