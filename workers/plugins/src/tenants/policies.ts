import { filesDigest, type SignatureProblem, type VersionSignature, verifyVersionSignature } from "@plugins/schema";
import { tenantPolicies } from "@plugins/schema/tables";
import { eq } from "drizzle-orm";
import type { Database, Transaction } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { signedFiles } from "../signatures/sign-version";
import { publicKeySet, type SigningKey } from "../signatures/signing-keys";

/** What a tenant demands of the versions it runs (tenant_policies); a tenant without a row demands nothing. */
export interface TenantPolicy {
  requireSignatures: boolean;
}

export async function tenantPolicy(db: Database | Transaction, tenantId: string): Promise<TenantPolicy> {
  const [row] = await db
    .select({ requireSignatures: tenantPolicies.requireSignatures })
    .from(tenantPolicies)
    .where(eq(tenantPolicies.tenantId, tenantId));
  return { requireSignatures: row?.requireSignatures ?? false };
}

/** A version as its signature is checked: the stored row's fields. */
export interface SignedVersion {
  pluginId: string;
  version: string;
  /** The entry file's SRI. */
  integrity: string;
  signature: VersionSignature | null;
}

/**
 * Why `version` fails a tenant that requires signatures: unsigned, signed by a key that is
 * not listed or has expired, or a signature that does not match its files as stored.
 */
export async function signatureProblem(
  db: Database | Transaction,
  keys: readonly SigningKey[],
  version: SignedVersion,
  now = new Date(),
): Promise<SignatureProblem | null> {
  const stated = {
    plugin: version.pluginId,
    version: version.version,
    entry: version.integrity,
    files: await filesDigest(await signedFiles(db, version.pluginId, version.version)),
  };
  return verifyVersionSignature(stated, version.signature, await publicKeySet(keys, now, { withExpired: true }), now);
}

/** Refuses (409) moving an instance of `tenantId` to `version` when the tenant requires signatures it lacks. */
export async function assertSignedIfRequired(
  tx: Transaction,
  keys: readonly SigningKey[],
  tenantId: string,
  version: SignedVersion,
): Promise<void> {
  const refusal = await policyRefusal(tx, keys, tenantId, version);
  if (refusal) throw new RegistryError("CONFLICT", refusal);
}

/** Why the tenant's policy refuses `version`, or null. */
export async function policyRefusal(
  db: Database | Transaction,
  keys: readonly SigningKey[],
  tenantId: string,
  version: SignedVersion,
): Promise<string | null> {
  if (!(await tenantPolicy(db, tenantId)).requireSignatures) return null;
  const problem = await signatureProblem(db, keys, version);
  return problem && `Tenant '${tenantId}' requires signed plugins: ${problem.message}`;
}
