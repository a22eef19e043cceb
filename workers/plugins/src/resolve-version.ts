import { distTags, type PluginVersion, plugins, pluginVersions, tagSchema } from "@plugins/schema";
import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import type { Database } from "./database";
import { gone } from "./trpc";
import { resolveRange } from "./versions";

/**
 * The version of `pluginId` that `reference` names: a dist-tag, an exact version or a
 * semver range. Ranges and tags never pick a yanked version; a blocked one answers GONE.
 */
export async function resolveVersion(db: Database, pluginId: string, reference: string): Promise<PluginVersion> {
  if (tagSchema.safeParse(reference).success) {
    const [tagged] = await db
      .select({ version: pluginVersions })
      .from(distTags)
      .innerJoin(
        pluginVersions,
        and(eq(pluginVersions.pluginId, distTags.pluginId), eq(pluginVersions.version, distTags.version)),
      )
      .where(and(eq(distTags.pluginId, pluginId), eq(distTags.tag, reference)));
    if (tagged?.version.status === "published") return tagged.version;
    throw await notFound(db, pluginId, `'${pluginId}' has no tag '${reference}'`);
  }

  const candidates = await db.select().from(pluginVersions).where(eq(pluginVersions.pluginId, pluginId));
  const resolution = resolveRange(reference, candidates);
  if (resolution.kind === "blocked") {
    throw gone(`${pluginId}@${resolution.version} was blocked and is not available`);
  }
  const match = resolution.kind === "found" && candidates.find((c) => c.version === resolution.version);
  if (match) return match;
  throw await notFound(db, pluginId, `No version of '${pluginId}' matches '${reference}'`);
}

async function notFound(db: Database, pluginId: string, message: string): Promise<TRPCError> {
  const exists = await db.query.plugins.findFirst({ where: eq(plugins.id, pluginId), columns: { id: true } });
  return new TRPCError({ code: "NOT_FOUND", message: exists ? message : `Plugin '${pluginId}' does not exist` });
}
