import { distTags, installations, LATEST_TAG, pluginVersions } from "@plugins/schema";
import { and, asc, eq, ne, sql } from "drizzle-orm";
import { recordAudit, type Transaction } from "../audit";
import { loadHost } from "../tenants/hosts";
import { refreshTenantManifest } from "../tenants/manifest";
import type { Context } from "../trpc";
import type { Host } from "./compatibility";
import { carriedConfig } from "./config";
import { changeInstance, fitVersion, storableConfig, storedSecrets } from "./store";
import { followTarget } from "./update-policies";

/**
 * Moves every live instance of `pluginId` whose update policy admits a newer version to it,
 * when its config and its tenant's host fit that version; one that does not fit stays
 * where it is, with an `installation.update_held` audit entry saying why.
 * `only` restricts the pass to one instance (after its policy changed).
 */
export async function followUpdates(tx: Transaction, ctx: Context, pluginId: string, only?: { id: string }) {
  const followers = await tx
    .select()
    .from(installations)
    .where(
      and(
        eq(installations.pluginId, pluginId),
        sql`${installations.status} <> 'uninstalled'`,
        ne(installations.updatePolicy, "pinned"),
        only ? eq(installations.id, only.id) : undefined,
      ),
    )
    .orderBy(asc(installations.id))
    .for("update");
  if (followers.length === 0) return;

  const versions = await tx.select().from(pluginVersions).where(eq(pluginVersions.pluginId, pluginId));
  const [latest] = await tx
    .select({ version: distTags.version })
    .from(distTags)
    .where(and(eq(distTags.pluginId, pluginId), eq(distTags.tag, LATEST_TAG)));
  const hosts = new Map<string, Host | null>();
  const changedTenants = new Set<string>();

  for (const instance of followers) {
    const target = followTarget(instance.updatePolicy, instance.version, versions, latest?.version ?? null);
    const version = target && versions.find((candidate) => candidate.version === target);
    if (!version) continue;
    if (!hosts.has(instance.tenantId)) hosts.set(instance.tenantId, await loadHost(tx, instance.tenantId));
    const installed = versions.find((candidate) => candidate.version === instance.version);
    const config = carriedConfig(installed?.manifest.config, version.manifest.config, {
      ...instance.config,
      ...(await storedSecrets(ctx, instance)),
    });
    const fit = fitVersion(version, hosts.get(instance.tenantId) ?? null, config, instance.secretsSet);
    const audit = { resourceType: "installation", resourceId: instance.id, tenantId: instance.tenantId } as const;
    if (!fit.ok) {
      await recordAudit(tx, ctx, {
        ...audit,
        action: "installation.update_held",
        details: { instanceId: instance.instanceId, from: instance.version, to: target, problems: fit.problems },
      });
      continue;
    }
    await changeInstance(tx, instance, {
      version: target,
      previousVersion: instance.version,
      ...(await storableConfig(ctx, version.manifest, instance.id, fit.config)),
    });
    await recordAudit(tx, ctx, {
      ...audit,
      action: "installation.auto_update",
      details: { instanceId: instance.instanceId, from: instance.version, to: target, policy: instance.updatePolicy },
    });
    changedTenants.add(instance.tenantId);
  }
  for (const tenantId of [...changedTenants].sort()) await refreshTenantManifest(tx, tenantId);
}
