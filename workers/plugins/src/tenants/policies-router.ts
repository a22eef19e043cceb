import { setTenantPolicyInputSchema, tenantRefSchema } from "@plugins/schema";
import { tenantPolicies } from "@plugins/schema/tables";
import { sql } from "drizzle-orm";
import { recordAudit } from "../audit/record";
import { router, tenantProcedure } from "../trpc/init";
import { refreshTenantManifest } from "./manifest";
import { tenantPolicy } from "./policies";

export const policiesRouter = router({
  /** What the tenant demands of the versions it runs. */
  get: tenantProcedure("admin", "editor", "viewer")
    .input(tenantRefSchema)
    .query(({ ctx, input }) => tenantPolicy(ctx.db, input.tenantId)),

  /**
   * Sets the tenant's policy. Requiring signatures takes hold at once: the manifest withholds
   * running instances whose version fails it (with the reason), and installs, upgrades,
   * rollbacks and automatic updates onto such a version are refused or held from then on.
   */
  set: tenantProcedure("admin", "editor")
    .input(setTenantPolicyInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.db.transaction(async (tx) => {
        const values = { requireSignatures: input.requireSignatures, updatedBy: ctx.identity.sub };
        await tx
          .insert(tenantPolicies)
          .values({ tenantId: input.tenantId, ...values })
          .onConflictDoUpdate({ target: tenantPolicies.tenantId, set: { ...values, updatedAt: sql`now()` } });
        await recordAudit(tx, ctx, {
          action: "tenant_policy.set",
          resourceType: "tenant_policy",
          resourceId: input.tenantId,
          tenantId: input.tenantId,
          details: { requireSignatures: input.requireSignatures },
        });
        await refreshTenantManifest(tx, ctx, input.tenantId);
        return tenantPolicy(tx, input.tenantId);
      }),
    ),
});
