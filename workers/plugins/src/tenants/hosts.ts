import { hostExtensionPoints, tenantHosts } from "@plugins/schema/tables";
import { asc, eq, sql } from "drizzle-orm";
import type { Host } from "../installations/compatibility";
import type { Database, Transaction } from "../lib/database";

/**
 * The host application a tenant registered, with its extension points; null when it
 * registered none. With `hold`, inside a transaction, the tenant's host stays as read until
 * the commit (a shared lock that `lockHostForRegistration` waits for), so a registration
 * cannot slip between a check against the host and the write, the first one included.
 */
export async function loadHost(
  db: Database | Transaction,
  tenantId: string,
  options: { hold?: boolean } = {},
): Promise<Host | null> {
  if (options.hold) await db.execute(sql`select pg_advisory_xact_lock_shared(${hostLockKey(tenantId)})`);
  const [host] = await db.select().from(tenantHosts).where(eq(tenantHosts.tenantId, tenantId));
  if (!host) return null;
  const extensionPoints = await db
    .select({
      name: hostExtensionPoints.name,
      description: hostExtensionPoints.description,
      contractVersion: hostExtensionPoints.contractVersion,
    })
    .from(hostExtensionPoints)
    .where(eq(hostExtensionPoints.tenantId, tenantId))
    .orderBy(asc(hostExtensionPoints.name));
  return { tenantId, version: host.version, extensionPoints };
}

/**
 * Takes the tenant's host for a registration until the commit. An advisory lock rather than
 * a row lock: it exists before the tenant's first registration does, and waiters queue fairly.
 */
export async function lockHostForRegistration(tx: Transaction, tenantId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${hostLockKey(tenantId)})`);
}

function hostLockKey(tenantId: string) {
  return sql`hashtextextended(${`tenant-host:${tenantId}`}, 0)`;
}
