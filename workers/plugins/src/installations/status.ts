import { createLogger } from "@plugins/runtime";
import type { instanceChangeSchema } from "@plugins/schema";
import type { z } from "zod";
import { recordAudit } from "../audit/record";
import { RegistryError } from "../lib/errors";
import { loadHost } from "../tenants/hosts";
import { refreshTenantManifest } from "../tenants/manifest";
import type { Context } from "../trpc/context";
import { hostProblems } from "./compatibility";
import { type LifecycleAction, transition } from "./lifecycle";
import { anyVersionHasServer, changeInstance, installedVersion, loadInstance, refused, view } from "./store";

const logEvent = createLogger("plugins");

/**
 * Moves an instance along its lifecycle (see lifecycle.ts). An activation checks the host
 * again, which may have been registered anew since the install; an uninstall drops the secrets.
 */
export async function changeStatus(
  ctx: Context,
  input: z.output<typeof instanceChangeSchema>,
  action: LifecycleAction,
) {
  const { changed, hasData } = await ctx.db.transaction(async (tx) => {
    const current = await loadInstance(tx, input);
    const next = transition(action, current.status, current.instanceId);
    if (!next.ok) throw new RegistryError("CONFLICT", next.reason);
    if (action === "activate") {
      const version = await installedVersion(tx, current);
      if (version.status === "blocked") {
        throw new RegistryError(
          "CONFLICT",
          `${current.pluginId}@${current.version} was blocked; upgrade the instance before activating it`,
        );
      }
      // The config was checked against this very version when it was stored; the host may
      // have been registered again since.
      const problems = hostProblems(version.manifest, await loadHost(tx, current.tenantId, { hold: true }));
      if (problems.length > 0) throw refused(`Cannot activate '${current.instanceId}'`, problems);
    }
    await ctx.engine.runHook(tx, current, HOOKS[action], { type: action });
    // History keeps no credentials: an uninstalled instance's secrets are dropped with it, and
    // a held update with it (nothing follows updates for it any more).
    const uninstalled = next.to === "uninstalled";
    const updated = await changeInstance(tx, current, {
      status: next.to,
      uninstalled,
      ...(uninstalled ? { sealedSecrets: null, secretsSet: [], heldUpdate: null } : {}),
    });
    await ctx.engine.syncSchedules(tx, updated);
    await recordAudit(tx, ctx, {
      action: `installation.${action}`,
      resourceType: "installation",
      resourceId: current.id,
      tenantId: current.tenantId,
      details: { instanceId: current.instanceId, from: current.status, to: next.to, revision: updated.revision },
    });
    await refreshTenantManifest(tx, ctx, current.tenantId);
    // A plugin none of whose versions has a server module never had an instance store to delete.
    const hasData = uninstalled && (await anyVersionHasServer(tx, current.pluginId));
    return { changed: view(updated), hasData };
  });
  // Its data goes once the uninstall committed; a reinstall under the same id starts empty either way.
  if (hasData) {
    await ctx.engine.wipeStorage(changed.id);
    logEvent("info", "instance_data_deleted", {
      tenantId: changed.tenantId,
      instanceId: changed.instanceId,
      installationId: changed.id,
    });
  }
  return changed;
}

const HOOKS = { activate: "onActivate", deactivate: "onDeactivate", uninstall: "onUninstall" } as const;
