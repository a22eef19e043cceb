import type { installInputSchema } from "@plugins/schema";
import { installations } from "@plugins/schema/tables";
import type { z } from "zod";
import { recordAudit } from "../audit/record";
import { RegistryError } from "../lib/errors";
import { holdPlugin } from "../plugins/ownership";
import { recordInstanceChange } from "../read-models/engine-instances";
import { loadHost } from "../tenants/hosts";
import { refreshTenantManifest } from "../tenants/manifest";
import { assertSignedIfRequired } from "../tenants/policies";
import type { Context } from "../trpc/context";
import { resolveVersion } from "../versions/resolve";
import { checkConfig } from "./config";
import { followUpdates } from "./follow-updates";
import { fitVersion, loadInstance, refused, storableConfig, view } from "./store";

/**
 * Installs a plugin for a tenant under an instance id, pinned to the exact version the
 * requested tag or range resolves to now, with its config checked against that version.
 */
export function installPlugin(ctx: Context, input: z.output<typeof installInputSchema>) {
  const instanceId = input.instanceId ?? input.pluginId;
  return ctx.db.transaction(async (tx) => {
    await holdPlugin(tx, input.pluginId);
    // Resolved and held inside the transaction, so a concurrent block cannot slip in between.
    const version = await resolveVersion(tx, input.pluginId, input.version, { lock: true, refuseYanked: true });
    await assertSignedIfRequired(tx, ctx.signingKeys, input.tenantId, version);
    // A config the schema refuses is the caller's mistake (400); a host that cannot run the version is not (409).
    const checked = checkConfig(version.manifest.config, input.config);
    if (!checked.ok) throw new RegistryError("BAD_REQUEST", checked.problems.join("; "));
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
      throw new RegistryError("CONFLICT", `Tenant '${input.tenantId}' already has an instance '${instanceId}'`);
    }
    recordInstanceChange(tx, installation);
    await ctx.engine.runHook(tx, installation, "onInstall", { type: "install" });
    if (installation.status === "active")
      await ctx.engine.runHook(tx, installation, "onActivate", { type: "activate" });
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
    const installed = following ? await loadInstance(tx, { tenantId: input.tenantId, instanceId }) : installation;
    await ctx.engine.syncSchedules(tx, installed);
    await refreshTenantManifest(tx, ctx, input.tenantId);
    return view(installed);
  });
}
