import {
  configureInputSchema,
  type Installation,
  installations,
  installInputSchema,
  instanceChangeSchema,
  instanceRefSchema,
  listInstancesInputSchema,
  liveInstallation,
  type PluginVersion,
  pluginVersions,
  resealInputSchema,
  setUpdatePolicyInputSchema,
  upgradeInputSchema,
} from "@plugins/schema";
import { TRPCError } from "@trpc/server";
import { and, asc, eq } from "drizzle-orm";
import { recordAudit, type Transaction } from "../audit";
import { hostProblems } from "../instances/compatibility";
import { checkConfig, mergeSecrets } from "../instances/config";
import { followUpdates } from "../instances/follow-updates";
import { type LifecycleAction, transition } from "../instances/lifecycle";
import { resealSecrets } from "../instances/reseal";
import {
  changeInstance,
  fitVersion,
  loadInstance,
  planMove,
  storableConfig,
  storedSecrets,
  view,
} from "../instances/store";
import { holdPlugin } from "../ownership";
import { resolveVersion } from "../resolve-version";
import { loadHost } from "../tenants/hosts";
import { refreshTenantManifest, refreshTenantManifests } from "../tenants/manifest";
import { type Context, roleProcedure, router, tenantProcedure } from "../trpc";

/** Reads: any member of the tenant. Changes: its editors, and admins. Others: 404. */
const reader = tenantProcedure("admin", "editor", "viewer");
const manager = tenantProcedure("admin", "editor");

export const installationsRouter = router({
  /**
   * Installs a plugin for a tenant under an instance id, pinned to the exact version the
   * requested tag or range resolves to now, with its config checked against that version.
   */
  install: manager.input(installInputSchema).mutation(async ({ ctx, input }) => {
    const instanceId = input.instanceId ?? input.pluginId;
    return ctx.db.transaction(async (tx) => {
      await holdPlugin(tx, input.pluginId);
      // Resolved and held inside the transaction, so a concurrent block cannot slip in between.
      const version = await resolveVersion(tx, input.pluginId, input.version, { lock: true, refuseYanked: true });
      // A config the schema refuses is the caller's mistake (400); a host that cannot run the version is not (409).
      const checked = checkConfig(version.manifest.config, input.config);
      if (!checked.ok) throw new TRPCError({ code: "BAD_REQUEST", message: checked.problems.join("; ") });
      const fit = fitVersion(version, await loadHost(tx, input.tenantId, { hold: true }), checked.config);
      if (!fit.ok) throw refused(`Cannot install ${input.pluginId}@${version.version}`, fit.problems);
      const id = crypto.randomUUID();
      const [installation] = await tx
        .insert(installations)
        .values({
          id,
          tenantId: input.tenantId,
          instanceId,
          pluginId: input.pluginId,
          version: version.version,
          updatePolicy: input.updatePolicy,
          status: input.activate ? "active" : "installed",
          installedBy: ctx.identity.sub,
          ...(await storableConfig(ctx, version.manifest, id, fit.config)),
        })
        .onConflictDoNothing()
        .returning();
      if (!installation) {
        throw new TRPCError({
          code: "CONFLICT",
          message: `Tenant '${input.tenantId}' already has an instance '${instanceId}'`,
        });
      }
      await recordAudit(tx, ctx, {
        action: "installation.install",
        resourceType: "installation",
        resourceId: installation.id,
        tenantId: input.tenantId,
        details: {
          pluginId: input.pluginId,
          instanceId,
          version: version.version,
          requested: input.version,
          updatePolicy: input.updatePolicy,
          status: installation.status,
        },
      });
      // A following policy catches up at once (an install of an older version), as when set later.
      const following = installation.updatePolicy !== "pinned";
      if (following) await followUpdates(tx, ctx, installation.pluginId, { id: installation.id });
      await refreshTenantManifest(tx, input.tenantId);
      return view(following ? await loadInstance(tx, { tenantId: input.tenantId, instanceId }) : installation);
    });
  }),

  /** The tenant's instances; with `includeUninstalled`, its history too. */
  list: reader.input(listInstancesInputSchema).query(async ({ ctx, input }) => {
    const rows = await ctx.db
      .select()
      .from(installations)
      .where(and(eq(installations.tenantId, input.tenantId), input.includeUninstalled ? undefined : liveInstallation))
      .orderBy(asc(installations.installedAt), asc(installations.id));
    return rows.map(view);
  }),

  /** One instance: its status, version, policy, public config and which secrets are set. */
  get: reader.input(instanceRefSchema).query(async ({ ctx, input }) => {
    return view(await loadInstance(ctx.db, input));
  }),

  /** installed or inactive → active (`start`). The host is checked again: it may have changed since. */
  activate: manager.input(instanceChangeSchema).mutation(({ ctx, input }) => move(ctx, input, "activate")),
  /** active → inactive (`stop`). */
  deactivate: manager.input(instanceChangeSchema).mutation(({ ctx, input }) => move(ctx, input, "deactivate")),
  /** installed or inactive → uninstalled; the row stays as history and the instance id is free again. */
  uninstall: manager.input(instanceChangeSchema).mutation(({ ctx, input }) => move(ctx, input, "uninstall")),

  /**
   * Replaces the configuration, checked against the installed version's schema. Secret
   * fields left out keep their value; `null` removes one.
   */
  configure: manager.input(configureInputSchema).mutation(async ({ ctx, input }) => {
    return ctx.db.transaction(async (tx) => {
      const current = await loadInstance(tx, input);
      const version = await installedVersion(tx, current);
      const config = mergeSecrets(version.manifest.config, input.config, await storedSecrets(ctx, current));
      const checked = checkConfig(version.manifest.config, config);
      if (!checked.ok) throw new TRPCError({ code: "BAD_REQUEST", message: checked.problems.join("; ") });
      const stored = await storableConfig(ctx, version.manifest, current.id, checked.config);
      const updated = await changeInstance(tx, current, stored);
      await recordAudit(tx, ctx, {
        action: "installation.configure",
        resourceType: "installation",
        resourceId: current.id,
        tenantId: current.tenantId,
        // Field names only: values may be personal data, and secrets must never be copied out.
        details: {
          instanceId: current.instanceId,
          fields: Object.keys(stored.config).sort(),
          secretsSet: stored.secretsSet,
        },
      });
      await refreshTenantManifest(tx, current.tenantId);
      return view(updated);
    });
  }),

  /**
   * Moves an instance to another version, higher or lower, if its config and the host fit
   * it. With `config`, the instance takes that config (secrets left out kept, as in
   * `configure`) in the same step, for a version whose schema the current config does not fit.
   */
  upgrade: manager.input(upgradeInputSchema).mutation(async ({ ctx, input }) => {
    return ctx.db.transaction(async (tx) => {
      const current = await loadInstance(tx, input);
      await holdPlugin(tx, current.pluginId);
      const target = await resolveVersion(tx, current.pluginId, input.version, { lock: true, refuseYanked: true });
      return moveToVersion(tx, ctx, current, target, "installation.upgrade", input.config);
    });
  }),

  /** Moves an instance back to the version it had before its last upgrade. */
  rollback: manager.input(instanceChangeSchema).mutation(async ({ ctx, input }) => {
    return ctx.db.transaction(async (tx) => {
      const current = await loadInstance(tx, input);
      if (!current.previousVersion) {
        throw new TRPCError({
          code: "CONFLICT",
          message: `Instance '${current.instanceId}' has no version to roll back to`,
        });
      }
      await holdPlugin(tx, current.pluginId);
      // A rollback chooses its target as an upgrade does: onto a yanked version it is refused too.
      const target = await resolveVersion(tx, current.pluginId, current.previousVersion, {
        lock: true,
        refuseYanked: true,
      });
      return moveToVersion(tx, ctx, current, target, "installation.rollback");
    });
  }),

  /** Finishes a key rotation, a page at a time: see instances/reseal.ts. */
  resealSecrets: roleProcedure("admin")
    .input(resealInputSchema)
    .mutation(({ ctx, input }) => resealSecrets(ctx, input)),

  /** Sets which new versions the instance follows, and catches it up to the newest of them now. */
  setUpdatePolicy: manager.input(setUpdatePolicyInputSchema).mutation(async ({ ctx, input }) => {
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
      await refreshTenantManifests(tx, await followUpdates(tx, ctx, current.pluginId, { id: current.id }));
      return view(await loadInstance(tx, { tenantId: updated.tenantId, instanceId: updated.instanceId }));
    });
  }),
});

async function move(
  ctx: Context,
  input: { tenantId: string; instanceId: string; revision?: number },
  action: LifecycleAction,
) {
  return ctx.db.transaction(async (tx) => {
    const current = await loadInstance(tx, input);
    const next = transition(action, current.status, current.instanceId);
    if (!next.ok) throw new TRPCError({ code: "CONFLICT", message: next.reason });
    if (action === "activate") {
      const version = await installedVersion(tx, current);
      if (version.status === "blocked") {
        throw new TRPCError({
          code: "CONFLICT",
          message: `${current.pluginId}@${current.version} was blocked; upgrade the instance before activating it`,
        });
      }
      // The config was checked against this very version when it was stored; the host may
      // have been registered again since.
      const problems = hostProblems(version.manifest, await loadHost(tx, current.tenantId, { hold: true }));
      if (problems.length > 0) throw refused(`Cannot activate '${current.instanceId}'`, problems);
    }
    // History keeps no credentials: an uninstalled instance's secrets are dropped with it.
    const uninstalled = next.to === "uninstalled";
    const updated = await changeInstance(tx, current, {
      status: next.to,
      uninstalled,
      ...(uninstalled ? { sealedSecrets: null, secretsSet: [] } : {}),
    });
    await recordAudit(tx, ctx, {
      action: `installation.${action}`,
      resourceType: "installation",
      resourceId: current.id,
      tenantId: current.tenantId,
      details: { instanceId: current.instanceId, from: current.status, to: next.to, revision: updated.revision },
    });
    await refreshTenantManifest(tx, current.tenantId);
    return view(updated);
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
    throw new TRPCError({
      code: "CONFLICT",
      message: `Instance '${current.instanceId}' already runs ${target.version}`,
    });
  }
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
  const updated = await changeInstance(tx, current, plan.change);
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
  await refreshTenantManifest(tx, current.tenantId);
  return view(updated);
}

async function installedVersion(tx: Transaction, instance: Installation) {
  const [version] = await tx
    .select()
    .from(pluginVersions)
    .where(and(eq(pluginVersions.pluginId, instance.pluginId), eq(pluginVersions.version, instance.version)));
  if (!version) throw new Error(`${instance.pluginId}@${instance.version} of instance ${instance.id} has no row`);
  return version;
}

/** A move the instance's config or its tenant's host does not allow: CONFLICT naming every reason. */
function refused(what: string, problems: string[]): TRPCError {
  return new TRPCError({ code: "CONFLICT", message: `${what}: ${problems.join("; ")}` });
}
