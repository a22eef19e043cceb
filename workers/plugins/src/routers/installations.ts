import { installations, installInputSchema, tenantRefSchema } from "@plugins/schema";
import { TRPCError } from "@trpc/server";
import { asc, eq } from "drizzle-orm";
import { recordAudit } from "../audit";
import { resolveVersion } from "../resolve-version";
import { assertTenantMember, roleProcedure, router } from "../trpc";

export const installationsRouter = router({
  install: roleProcedure("admin", "editor")
    .input(installInputSchema)
    .mutation(async ({ ctx, input }) => {
      assertTenantMember(ctx.identity, input.tenantId);
      const instanceId = input.instanceId ?? input.pluginId;
      return ctx.db.transaction(async (tx) => {
        // Resolved and held inside the transaction, so a concurrent block cannot slip in between.
        const version = await resolveVersion(tx, input.pluginId, input.version, { lock: true });
        const [installation] = await tx
          .insert(installations)
          .values({
            tenantId: input.tenantId,
            instanceId,
            pluginId: input.pluginId,
            version: version.version,
            installedBy: ctx.identity.sub,
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
          details: { pluginId: input.pluginId, instanceId, version: version.version, requested: input.version },
        });
        return installation;
      });
    }),

  list: roleProcedure("admin", "editor", "viewer")
    .input(tenantRefSchema)
    .query(async ({ ctx, input }) => {
      assertTenantMember(ctx.identity, input.tenantId);
      return ctx.db
        .select()
        .from(installations)
        .where(eq(installations.tenantId, input.tenantId))
        .orderBy(asc(installations.installedAt));
    }),
});
