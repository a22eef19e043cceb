import { plugins } from "@plugins/schema";
import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import type { Transaction } from "./audit";
import type { Context } from "./trpc";

/**
 * Locks and returns a plugin the caller may manage: its owner, or an admin. Others get
 * FORBIDDEN; an unknown id NOT_FOUND.
 */
export async function lockManagedPlugin(tx: Transaction, ctx: Pick<Context, "identity">, pluginId: string) {
  const [plugin] = await tx
    .select({ id: plugins.id, ownerId: plugins.ownerId })
    .from(plugins)
    .where(eq(plugins.id, pluginId))
    .for("update");
  if (!plugin) throw new TRPCError({ code: "NOT_FOUND", message: `Plugin '${pluginId}' does not exist` });
  if (plugin.ownerId !== ctx.identity.sub && ctx.identity.role !== "admin") {
    throw new TRPCError({ code: "FORBIDDEN", message: `Only the owner of '${pluginId}' or an admin may do this` });
  }
  return plugin;
}
