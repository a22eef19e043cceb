import { filesDigest, STATEMENT_VERSION, signStatement, type VersionSignature } from "@plugins/schema";
import { versionFiles } from "@plugins/schema/tables";
import { and, eq } from "drizzle-orm";
import type { Database, Transaction } from "../lib/database";
import { currentSigningKey, privateKeyOf, type SigningKey } from "./signing-keys";

/** What a version's statement is made of: its id, number, entry SRI and every file's SRI. */
export interface SignableVersion {
  pluginId: string;
  version: string;
  /** The entry file's SRI. */
  integrity: string;
  files: ReadonlyArray<{ path: string; integrity: string }>;
}

/** The version's signature by the key signing at `now`, or null when SIGNING_KEYS has none to sign with. */
export async function signVersion(
  keys: readonly SigningKey[],
  version: SignableVersion,
  now = new Date(),
): Promise<VersionSignature | null> {
  const key = currentSigningKey(keys, now);
  if (!key) return null;
  const files = await filesDigest(version.files);
  const sig = await signStatement(await privateKeyOf(key), {
    plugin: version.pluginId,
    version: version.version,
    entry: version.integrity,
    files,
  });
  return { keyid: key.keyid, statementVersion: STATEMENT_VERSION, files, sig, signedAt: now.toISOString() };
}

/** The paths and SRIs of a stored version's files: what its statement's files digest covers. */
export function signedFiles(db: Database | Transaction, pluginId: string, version: string) {
  return db
    .select({ path: versionFiles.path, integrity: versionFiles.integrity })
    .from(versionFiles)
    .where(and(eq(versionFiles.pluginId, pluginId), eq(versionFiles.version, version)));
}
