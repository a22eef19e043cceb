import { LATEST_TAG, type setUpdatePolicyInputSchema } from "@plugins/schema";
import type { Installation } from "@plugins/schema/tables";
import { distTags, installations, liveInstallation, pluginVersions } from "@plugins/schema/tables";
import { and, asc, eq, gt, ne } from "drizzle-orm";
import type { z } from "zod";
import { recordAudit } from "../audit/record";
import type { Transaction } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { holdPlugin } from "../plugins/ownership";
import { loadHost } from "../tenants/hosts";
import { refreshTenantManifests } from "../tenants/manifest";
import { policyRefusal } from "../tenants/policies";
import type { Context } from "../trpc/context";
import type { Host } from "./compatibility";
import { changeInstance, loadInstance, planMove, storeHold, view } from "./store";
import { followTarget, nextHold } from "./update-policies";

/**
 * Settles the automatic update of one instance of `pluginId` (just installed, or its policy
 * just changed: pinned too, so that pinning it clears its hold), inside its caller's
 * transaction. Passes over every instance of a plugin run in pages from the UPDATES queue
 * instead (`followUpdatesPage`, update-fan-out.ts). Returns the tenants whose instances moved:
 * the caller refreshes their manifests, with any others it changed, in one sorted pass (so
 * that two transactions cannot lock them in opposite orders).
 */
export async function followUpdates(
  tx: Transaction,
  ctx: Context,
  pluginId: string,
  only: { id: string },
): Promise<Set<string>> {
  await holdPlugin(tx, pluginId);
  const followers = await tx
    .select()
    .from(installations)
    .where(and(eq(installations.pluginId, pluginId), liveInstallation, eq(installations.id, only.id)))
    .for("update");
  return (await settleFollowers(tx, ctx, pluginId, followers, () => false)).moved;
}

/** One page of a pass over a plugin's followers: those after `after` (by id), at most `limit`. */
export interface FollowersPage {
  after: string | null;
  limit: number;
  /**
   * Whether the page must end before settling the next instance (its transaction's time is
   * running out: each instance may run an `onUpdate` hook); the first one is always settled.
   */
  outOfTime: () => boolean;
}

/**
 * One page of the pass that follows a new version, tag move or status change of `pluginId`:
 * settles the page's instances as `followUpdates` does, with the same locks (the plugin FOR
 * SHARE, the page's rows FOR UPDATE). `next` is the id the following page starts after, null
 * once the pass is done; `found` is false for a plugin that does not exist. Targets come from
 * the current state, so a page run twice moves nothing twice.
 */
export async function followUpdatesPage(
  tx: Transaction,
  ctx: Context,
  pluginId: string,
  page: FollowersPage,
): Promise<{ found: boolean; moved: Set<string>; next: string | null }> {
  if (!(await holdPlugin(tx, pluginId))) return { found: false, moved: new Set(), next: null };
  const followers = await tx
    .select()
    .from(installations)
    .where(
      and(
        eq(installations.pluginId, pluginId),
        liveInstallation,
        ne(installations.updatePolicy, "pinned"),
        page.after ? gt(installations.id, page.after) : undefined,
      ),
    )
    .orderBy(asc(installations.id))
    .limit(page.limit)
    .for("update");
  const { moved, settled } = await settleFollowers(tx, ctx, pluginId, followers, page.outOfTime);
  const last = followers[settled - 1];
  const more = settled < followers.length || followers.length === page.limit;
  return { found: true, moved, next: more && last ? last.id : null };
}

/**
 * Moves each of `followers` (locked, in id order) whose update policy admits a newer version
 * to it, when its config and its tenant's host fit that version; one that does not fit stays
 * where it is, with an `installation.update_held` audit entry saying why, and the hold on its
 * row (`heldUpdate`). Settles the hold of each instance it visits: the move ends it, a refusal
 * sets or replaces it, and a policy that admits nothing newer any more (the held version
 * yanked, `latest` moved back, the policy changed) clears it. Stops early when `outOfTime`
 * says so; `settled` counts the instances it got through.
 */
async function settleFollowers(
  tx: Transaction,
  ctx: Context,
  pluginId: string,
  followers: Installation[],
  outOfTime: () => boolean,
): Promise<{ moved: Set<string>; settled: number }> {
  const moved = new Set<string>();
  if (followers.length === 0) return { moved, settled: 0 };

  const versions = await tx.select().from(pluginVersions).where(eq(pluginVersions.pluginId, pluginId));
  const [latest] = await tx
    .select({ version: distTags.version })
    .from(distTags)
    .where(and(eq(distTags.pluginId, pluginId), eq(distTags.tag, LATEST_TAG)));
  const hosts = new Map<string, Host | null>();

  let settled = 0;
  for (const instance of followers) {
    if (settled > 0 && outOfTime()) break;
    settled += 1;
    const target = followTarget(instance.updatePolicy, instance.version, versions, latest?.version ?? null);
    const installed = versions.find((candidate) => candidate.version === instance.version);
    // Held until this transaction ends, so a concurrent block cannot slip in after the choice.
    const version = target && installed ? await holdPublished(tx, pluginId, target) : null;
    if (!version || !installed) {
      if (instance.heldUpdate) await storeHold(tx, instance, null);
      continue;
    }
    if (!hosts.has(instance.tenantId))
      hosts.set(instance.tenantId, await loadHost(tx, instance.tenantId, { hold: true }));
    const unsigned = await policyRefusal(tx, ctx.signingKeys, instance.tenantId, version);
    const planned = unsigned
      ? ({ ok: false, problems: [unsigned] } as const)
      : await planMove(ctx, instance, installed, version, hosts.get(instance.tenantId) ?? null);
    const plan = planned.ok ? await withUpdateHook(ctx, tx, instance, version.version, planned) : planned;
    const audit = { resourceType: "installation", resourceId: instance.id, tenantId: instance.tenantId } as const;
    if (!plan.ok) {
      await recordAudit(tx, ctx, {
        ...audit,
        action: "installation.update_held",
        details: {
          instanceId: instance.instanceId,
          from: instance.version,
          to: version.version,
          problems: plan.problems,
        },
      });
      const held = nextHold(instance.heldUpdate, version.version, plan.problems, new Date());
      if (held !== instance.heldUpdate) await storeHold(tx, instance, held);
      continue;
    }
    await ctx.engine.syncSchedules(tx, await changeInstance(tx, instance, plan.change));
    await recordAudit(tx, ctx, {
      ...audit,
      action: "installation.auto_update",
      details: {
        instanceId: instance.instanceId,
        from: instance.version,
        to: version.version,
        policy: instance.updatePolicy,
      },
    });
    moved.add(instance.tenantId);
  }
  return { moved, settled };
}

/**
 * Sets which new versions an instance follows, and catches it up to the newest of them now;
 * that pass settles its held update for the new policy (see `followUpdates`).
 */
export function setUpdatePolicy(ctx: Context, input: z.output<typeof setUpdatePolicyInputSchema>) {
  return ctx.db.transaction(async (tx) => {
    const current = await loadInstance(tx, input);
    if (current.updatePolicy === input.updatePolicy) return view(current);
    await holdPlugin(tx, current.pluginId);
    const updated = await changeInstance(tx, current, { updatePolicy: input.updatePolicy });
    await recordAudit(tx, ctx, {
      action: "installation.update_policy",
      resourceType: "installation",
      resourceId: current.id,
      tenantId: current.tenantId,
      details: { instanceId: current.instanceId, from: current.updatePolicy, to: input.updatePolicy },
    });
    await refreshTenantManifests(tx, ctx, await followUpdates(tx, ctx, current.pluginId, { id: current.id }));
    return view(await loadInstance(tx, { tenantId: updated.tenantId, instanceId: updated.instanceId }));
  });
}

/** `pluginId@version` locked FOR SHARE if it is still published, else null. */
async function holdPublished(tx: Transaction, pluginId: string, version: string) {
  const [held] = await tx
    .select()
    .from(pluginVersions)
    .where(and(eq(pluginVersions.pluginId, pluginId), eq(pluginVersions.version, version)))
    .for("share");
  return held?.status === "published" ? held : null;
}

/**
 * A planned automatic update, if the target version's `onUpdate` hook lets it through; one
 * the hook refuses is held like one the config or host refuses, with the hook's reason.
 */
async function withUpdateHook<Plan extends { ok: true }>(
  ctx: Context,
  tx: Transaction,
  instance: Installation,
  toVersion: string,
  plan: Plan,
): Promise<Plan | { ok: false; problems: string[] }> {
  try {
    await ctx.engine.runHook(tx, { ...instance, version: toVersion }, "onUpdate", {
      type: "update",
      fromVersion: instance.version,
      toVersion,
    });
    return plan;
  } catch (error) {
    if (error instanceof RegistryError && error.code === "CONFLICT") return { ok: false, problems: [error.message] };
    throw error;
  }
}
