import type { configureInputSchema } from "@plugins/schema";
import type { z } from "zod";
import { recordAudit } from "../audit/record";
import { RegistryError } from "../lib/errors";
import { refreshTenantManifest } from "../tenants/manifest";
import type { Context } from "../trpc/context";
import { checkConfig, mergeSecrets } from "./config";
import { changeInstance, installedVersion, loadInstance, storableConfig, storedSecrets, view } from "./store";

/**
 * Replaces an instance's configuration, checked against the installed version's schema.
 * Secret fields left out keep their value; `null` removes one.
 */
export function configureInstance(ctx: Context, input: z.output<typeof configureInputSchema>) {
  return ctx.db.transaction(async (tx) => {
    const current = await loadInstance(tx, input);
    const version = await installedVersion(tx, current);
    const config = mergeSecrets(version.manifest.config, input.config, await storedSecrets(ctx, current));
    const checked = checkConfig(version.manifest.config, config);
    if (!checked.ok) throw new RegistryError("BAD_REQUEST", checked.problems.join("; "));
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
    await refreshTenantManifest(tx, ctx, current.tenantId);
    return view(updated);
  });
}
