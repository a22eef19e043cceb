import { registerHostInputSchema, tenantRefSchema } from "@plugins/schema";
import { hostExtensionPoints, tenantHosts } from "@plugins/schema/tables";
import { eq, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record";
import { router, tenantProcedure } from "../trpc/init";
import { loadHost, lockHostForRegistration } from "./hosts";
import { refreshTenantManifest } from "./manifest";

export const hostsRouter = router({
  /**
   * Registers the tenant's host application: its version and every extension point it
   * offers, replacing the previous registration. From then on installs, activations and
   * upgrades are checked against it. Instances already running are left as they are.
   */
  register: tenantProcedure("admin", "editor")
    .input(registerHostInputSchema)
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        await lockHostForRegistration(tx, input.tenantId);
        await tx
          .insert(tenantHosts)
          .values({ tenantId: input.tenantId, version: input.version, updatedBy: ctx.identity.sub })
          .onConflictDoUpdate({
            target: tenantHosts.tenantId,
            set: { version: input.version, updatedBy: ctx.identity.sub, updatedAt: sql`now()` },
          });
        await tx.delete(hostExtensionPoints).where(eq(hostExtensionPoints.tenantId, input.tenantId));
        if (input.extensionPoints.length > 0) {
          await tx
            .insert(hostExtensionPoints)
            .values(input.extensionPoints.map((point) => ({ tenantId: input.tenantId, ...point })));
        }
        await recordAudit(tx, ctx, {
          action: "tenant_host.register",
          resourceType: "tenant_host",
          resourceId: input.tenantId,
          tenantId: input.tenantId,
          details: { version: input.version, extensionPoints: input.extensionPoints.map((point) => point.name) },
        });
        await refreshTenantManifest(tx, ctx, input.tenantId);
        return loadHost(tx, input.tenantId);
      });
    }),

  /** The tenant's registered host, or null when it registered none (and nothing is checked). */
  get: tenantProcedure("admin", "editor", "viewer")
    .input(tenantRefSchema)
    .query(({ ctx, input }) => {
      return loadHost(ctx.db, input.tenantId);
    }),
});
