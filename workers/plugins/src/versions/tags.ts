import { LATEST_TAG } from "@plugins/schema";
import { distTags, pluginVersions } from "@plugins/schema/tables";
import { and, eq, ne, sql } from "drizzle-orm";
import type { Transaction } from "../lib/database";
import { highestForLatest } from "./ranges";

/**
 * Points `latest` at the highest published stable version, unless someone set it by hand
 * to a version that is still published. Returns the version `latest` now names, or null.
 */
export async function moveLatest(tx: Transaction, pluginId: string): Promise<string | null> {
  const versions = await tx
    .select({ version: pluginVersions.version, status: pluginVersions.status })
    .from(pluginVersions)
    .where(eq(pluginVersions.pluginId, pluginId));
  const [current] = await tx
    .select()
    .from(distTags)
    .where(and(eq(distTags.pluginId, pluginId), eq(distTags.tag, LATEST_TAG)))
    .for("update");
  const currentStillPublished = versions.some((v) => v.version === current?.version && v.status === "published");
  if (current?.explicit && currentStillPublished) return current.version;

  const target = highestForLatest(versions);
  if (target === null) {
    await tx.delete(distTags).where(and(eq(distTags.pluginId, pluginId), eq(distTags.tag, LATEST_TAG)));
    return null;
  }
  await tx
    .insert(distTags)
    .values({ pluginId, tag: LATEST_TAG, version: target })
    .onConflictDoUpdate({
      target: [distTags.pluginId, distTags.tag],
      set: { version: target, explicit: false, updatedAt: sql`now()` },
    });
  return target;
}

/**
 * A yanked or blocked version must no longer be chosen by any tag: tags other than
 * `latest` that name it are removed, and `latest` moves on. Returns the removed tags.
 */
export async function untagVersion(tx: Transaction, pluginId: string, version: string): Promise<string[]> {
  const removed = await tx
    .delete(distTags)
    .where(and(eq(distTags.pluginId, pluginId), eq(distTags.version, version), ne(distTags.tag, LATEST_TAG)))
    .returning({ tag: distTags.tag });
  await moveLatest(tx, pluginId);
  return removed.map((row) => row.tag);
}
