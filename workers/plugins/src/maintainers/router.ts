import { maintainerInputSchema, pluginRefSchema } from "@plugins/schema";
import { pluginMaintainers, plugins } from "@plugins/schema/tables";
import { and, asc, eq } from "drizzle-orm";
import { recordAudit } from "../audit/record";
import { RegistryError } from "../lib/errors";
import { lockOwnedPlugin } from "../plugins/ownership";
import { publicProcedure, roleProcedure, router } from "../trpc/init";

export const maintainersRouter = router({
  /** The owner and the maintainers of a plugin, as a registry page shows them. */
  list: publicProcedure.input(pluginRefSchema).query(async ({ ctx, input }) => {
    const plugin = await ctx.db.query.plugins.findFirst({
      where: eq(plugins.id, input.pluginId),
      columns: { ownerId: true },
    });
    if (!plugin) throw new RegistryError("NOT_FOUND", `Plugin '${input.pluginId}' does not exist`);
    const maintainers = await ctx.db
      .select({
        userId: pluginMaintainers.userId,
        addedBy: pluginMaintainers.addedBy,
        addedAt: pluginMaintainers.addedAt,
      })
      .from(pluginMaintainers)
      .where(eq(pluginMaintainers.pluginId, input.pluginId))
      .orderBy(asc(pluginMaintainers.addedAt));
    return { pluginId: input.pluginId, owner: plugin.ownerId, maintainers };
  }),

  add: roleProcedure("admin", "editor")
    .input(maintainerInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.db.transaction(async (tx) => {
        const plugin = await lockOwnedPlugin(tx, ctx.identity, input.pluginId);
        if (input.userId === plugin.ownerId) {
          throw new RegistryError("CONFLICT", `'${input.userId}' owns '${input.pluginId}' already`);
        }
        const [added] = await tx
          .insert(pluginMaintainers)
          .values({ pluginId: input.pluginId, userId: input.userId, addedBy: ctx.identity.sub })
          .onConflictDoNothing()
          .returning();
        if (!added) {
          throw new RegistryError("CONFLICT", `'${input.userId}' maintains '${input.pluginId}' already`);
        }
        await recordAudit(tx, ctx, {
          action: "plugin.maintainer_add",
          resourceType: "plugin",
          resourceId: input.pluginId,
          details: { userId: input.userId },
        });
        return added;
      }),
    ),

  remove: roleProcedure("admin", "editor")
    .input(maintainerInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.db.transaction(async (tx) => {
        await lockOwnedPlugin(tx, ctx.identity, input.pluginId);
        const [removed] = await tx
          .delete(pluginMaintainers)
          .where(and(eq(pluginMaintainers.pluginId, input.pluginId), eq(pluginMaintainers.userId, input.userId)))
          .returning();
        if (!removed) {
          throw new RegistryError("NOT_FOUND", `'${input.userId}' does not maintain '${input.pluginId}'`);
        }
        await recordAudit(tx, ctx, {
          action: "plugin.maintainer_remove",
          resourceType: "plugin",
          resourceId: input.pluginId,
          details: { userId: input.userId },
        });
        return { pluginId: input.pluginId, userId: input.userId };
      }),
    ),
});
