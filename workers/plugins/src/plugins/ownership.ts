import type { Identity } from "@plugins/schema";
import { pluginMaintainers, plugins } from "@plugins/schema/tables";
import { and, eq } from "drizzle-orm";
import type { Transaction } from "../lib/database";
import { RegistryError } from "../lib/errors";

/** Whether `identity` may publish to and manage a plugin: its owner, a maintainer, or an admin. */
export async function maySteward(
  tx: Transaction,
  identity: Identity,
  plugin: { id: string; ownerId: string },
): Promise<boolean> {
  if (identity.role === "admin" || plugin.ownerId === identity.sub) return true;
  const [maintainer] = await tx
    .select({ userId: pluginMaintainers.userId })
    .from(pluginMaintainers)
    .where(and(eq(pluginMaintainers.pluginId, plugin.id), eq(pluginMaintainers.userId, identity.sub)));
  return maintainer !== undefined;
}

/**
 * FOR NO KEY UPDATE, not FOR UPDATE: an install's foreign key to the plugin takes FOR KEY
 * SHARE on this row, and FOR UPDATE would make a block and an install of one plugin wait on
 * each other in opposite orders (a deadlock). No code changes a plugin's id.
 */
async function lockPlugin(tx: Transaction, pluginId: string) {
  const [plugin] = await tx
    .select({ id: plugins.id, ownerId: plugins.ownerId })
    .from(plugins)
    .where(eq(plugins.id, pluginId))
    .for("no key update");
  if (!plugin) throw new RegistryError("NOT_FOUND", `Plugin '${pluginId}' does not exist`);
  return plugin;
}

/**
 * Locks and returns a plugin the caller may manage (owner, maintainer or admin). Others
 * get FORBIDDEN; an unknown id NOT_FOUND.
 */
export async function lockManagedPlugin(tx: Transaction, identity: Identity, pluginId: string) {
  const plugin = await lockPlugin(tx, pluginId);
  if (!(await maySteward(tx, identity, plugin))) {
    throw new RegistryError("FORBIDDEN", `Only the owner, a maintainer or an admin may manage '${pluginId}'`);
  }
  return plugin;
}

/** Locks and returns a plugin the caller owns (or any plugin, for an admin): who maintains it is the owner's call. */
export async function lockOwnedPlugin(tx: Transaction, identity: Identity, pluginId: string) {
  const plugin = await lockPlugin(tx, pluginId);
  if (plugin.ownerId !== identity.sub && identity.role !== "admin") {
    throw new RegistryError("FORBIDDEN", `Only the owner of '${pluginId}' or an admin may do this`);
  }
  return plugin;
}

/**
 * Holds a plugin row FOR SHARE for a write to its instances. Changes to its versions (publish,
 * block, yank, tag moves) lock the row first too, so both take the plugin, then its
 * versions, then its instances, in that order, and never wait on each other in a circle.
 * False when there is no such plugin.
 */
export async function holdPlugin(tx: Transaction, pluginId: string): Promise<boolean> {
  const [held] = await tx.select({ id: plugins.id }).from(plugins).where(eq(plugins.id, pluginId)).for("share");
  return held !== undefined;
}
