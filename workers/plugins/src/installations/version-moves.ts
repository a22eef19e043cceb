import type { instanceChangeSchema, upgradeInputSchema } from "@plugins/schema";
import type { Installation, PluginVersion } from "@plugins/schema/tables";
import type { z } from "zod";
import { recordAudit } from "../audit/record";
import type { Transaction } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { holdPlugin } from "../plugins/ownership";
import { loadHost } from "../tenants/hosts";
import { refreshTenantManifest } from "../tenants/manifest";
import { assertSignedIfRequired } from "../tenants/policies";
import type { Context } from "../trpc/context";
import { resolveVersion } from "../versions/resolve";
import { changeInstance, installedVersion, loadInstance, planMove, refused, view } from "./store";

/**
 * Moves an instance to another version, higher or lower, if its config and the host fit
 * it. With `config`, the instance takes that config (secrets left out kept, as in
 * `configure`) in the same step, for a version whose schema the current config does not fit.
 */
export function upgradeInstance(ctx: Context, input: z.output<typeof upgradeInputSchema>) {
  return ctx.db.transaction(async (tx) => {
    const current = await loadInstance(tx, input);
    await holdPlugin(tx, current.pluginId);
    const target = await resolveVersion(tx, current.pluginId, input.version, { lock: true, refuseYanked: true });
    return moveToVersion(tx, ctx, current, target, "installation.upgrade", input.config);
  });
}

/** Moves an instance back to the version it had before its last upgrade. */
export function rollbackInstance(ctx: Context, input: z.output<typeof instanceChangeSchema>) {
  return ctx.db.transaction(async (tx) => {
    const current = await loadInstance(tx, input);
    if (!current.previousVersion) {
      throw new RegistryError("CONFLICT", `Instance '${current.instanceId}' has no version to roll back to`);
    }
    await holdPlugin(tx, current.pluginId);
    // A rollback chooses its target as an upgrade does: onto a yanked version it is refused too.
    const target = await resolveVersion(tx, current.pluginId, current.previousVersion, {
      lock: true,
      refuseYanked: true,
    });
    return moveToVersion(tx, ctx, current, target, "installation.rollback");
  });
}

async function moveToVersion(
  tx: Transaction,
  ctx: Context,
  current: Installation,
  target: PluginVersion,
  action: "installation.upgrade" | "installation.rollback",
  config?: Record<string, unknown>,
) {
  if (target.version === current.version) {
    throw new RegistryError("CONFLICT", `Instance '${current.instanceId}' already runs ${target.version}`);
  }
  await assertSignedIfRequired(tx, ctx.signingKeys, current.tenantId, target);
  const installed = await installedVersion(tx, current);
  const plan = await planMove(
    ctx,
    current,
    installed,
    target,
    await loadHost(tx, current.tenantId, { hold: true }),
    config,
  );
  if (!plan.ok) {
    throw refused(`Cannot move '${current.instanceId}' from ${current.version} to ${target.version}`, plan.problems);
  }
  // The target version's code runs the hook: it is the one that knows how to take the data on.
  await ctx.engine.runHook(tx, { ...current, version: target.version }, "onUpdate", {
    type: "update",
    fromVersion: current.version,
    toVersion: target.version,
  });
  const updated = await changeInstance(tx, current, plan.change);
  await ctx.engine.syncSchedules(tx, updated);
  await recordAudit(tx, ctx, {
    action,
    resourceType: "installation",
    resourceId: current.id,
    tenantId: current.tenantId,
    details: {
      instanceId: current.instanceId,
      from: current.version,
      to: target.version,
      ...(config ? { fields: Object.keys(plan.change.config).sort(), secretsSet: plan.change.secretsSet } : {}),
    },
  });
  await refreshTenantManifest(tx, ctx, current.tenantId);
  return view(updated);
}
