import { distTags, type PluginVersion, plugins, pluginVersions, tagSchema } from "@plugins/schema";
import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import type { Transaction } from "./audit";
import type { Database } from "./database";
import { gone } from "./trpc";
import { resolveRange } from "./versions";

/**
 * The version of `pluginId` that `reference` names: a dist-tag, an exact version or a
 * semver range. Ranges and tags never pick a yanked version; a blocked one answers GONE.
 * With `lock`, inside a transaction, the chosen version is held until it commits.
 */
export async function resolveVersion(
  db: Database | Transaction,
  pluginId: string,
  reference: string,
  options: { lock?: boolean } = {},
): Promise<PluginVersion> {
  if (tagSchema.safeParse(reference).success) {
    const [tagged] = await db
      .select({ version: pluginVersions })
      .from(distTags)
      .innerJoin(
        pluginVersions,
        and(eq(pluginVersions.pluginId, distTags.pluginId), eq(pluginVersions.version, distTags.version)),
      )
      .where(and(eq(distTags.pluginId, pluginId), eq(distTags.tag, reference)));
    if (tagged?.version.status === "published") return options.lock ? hold(db, tagged.version) : tagged.version;
    throw await notFound(db, pluginId, `'${pluginId}' has no tag '${reference}'`);
  }

  const candidates = await db.select().from(pluginVersions).where(eq(pluginVersions.pluginId, pluginId));
  const resolution = resolveRange(reference, candidates);
  if (resolution.kind === "blocked") {
    throw gone(`${pluginId}@${resolution.version} was blocked and is not available`);
  }
  const match = resolution.kind === "found" && candidates.find((c) => c.version === resolution.version);
  if (match) return options.lock ? hold(db, match) : match;
  throw await notFound(db, pluginId, `No version of '${pluginId}' matches '${reference}'`);
}

async function notFound(db: Database | Transaction, pluginId: string, message: string): Promise<TRPCError> {
  const exists = await db.query.plugins.findFirst({ where: eq(plugins.id, pluginId), columns: { id: true } });
  return new TRPCError({ code: "NOT_FOUND", message: exists ? message : `Plugin '${pluginId}' does not exist` });
}

/** Re-reads the chosen version FOR SHARE: a block waits for the caller's commit, or already won. */
async function hold(db: Database | Transaction, chosen: PluginVersion): Promise<PluginVersion> {
  const [held] = await db
    .select()
    .from(pluginVersions)
    .where(and(eq(pluginVersions.pluginId, chosen.pluginId), eq(pluginVersions.version, chosen.version)))
    .for("share");
  if (!held || held.status === "blocked")
    throw gone(`${chosen.pluginId}@${chosen.version} was blocked and is not available`);
  return held;
}
