import { plugins, pluginVersions } from "@plugins/schema";
import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import type { Database } from "./database";
import { resolveReference } from "./versions";

/**
 * The published version of `pluginId` that `reference` (`latest` or a semver range) points
 * to. Yanked and blocked versions are never chosen.
 */
export async function resolveVersion(db: Database, pluginId: string, reference: string) {
  const plugin = await db.query.plugins.findFirst({
    where: eq(plugins.id, pluginId),
    columns: { latestVersion: true },
  });
  if (!plugin) throw new TRPCError({ code: "NOT_FOUND", message: `Plugin '${pluginId}' does not exist` });
  const candidates = await db
    .select()
    .from(pluginVersions)
    .where(and(eq(pluginVersions.pluginId, pluginId), eq(pluginVersions.status, "published")));
  const chosen = resolveReference(
    reference,
    plugin.latestVersion,
    candidates.map((candidate) => candidate.version),
  );
  const match = candidates.find((candidate) => candidate.version === chosen);
  if (!match) throw new TRPCError({ code: "NOT_FOUND", message: `No version of '${pluginId}' matches '${reference}'` });
  return match;
}
