import { hostExtensionPoints, tenantHosts } from "@plugins/schema";
import { asc, eq } from "drizzle-orm";
import type { Transaction } from "../audit";
import type { Database } from "../database";
import type { Host } from "../instances/compatibility";

/**
 * The host application a tenant registered, with its extension points; null when it
 * registered none. With `hold`, inside a transaction, the host row is held FOR SHARE until
 * the commit, so a registration cannot slip between a check against the host and the write.
 */
export async function loadHost(
  db: Database | Transaction,
  tenantId: string,
  options: { hold?: boolean } = {},
): Promise<Host | null> {
  const query = db.select().from(tenantHosts).where(eq(tenantHosts.tenantId, tenantId));
  const [host] = options.hold ? await query.for("share") : await query;
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
