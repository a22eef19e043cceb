import type { DownloadBatch } from "@plugins/schema";
import { downloadCounts, plugins } from "@plugins/schema/tables";
import { eq, sql } from "drizzle-orm";
import type { Database } from "../lib/database";

/**
 * Adds a batch of counts, and each plugin's share to its all-time total (plugins.downloads,
 * what search sorts by), in one transaction: the total never drifts from the daily counts.
 * Concurrent batches for the same day add up.
 */
export async function recordDownloads(db: Database, batch: DownloadBatch): Promise<void> {
  const totals = totalsByPlugin(batch);
  await db.transaction(async (tx) => {
    await tx
      .insert(downloadCounts)
      .values(batch.counts.map((entry) => ({ ...entry, day: batch.day })))
      .onConflictDoUpdate({
        target: [downloadCounts.pluginId, downloadCounts.version, downloadCounts.day],
        set: { count: sql`${downloadCounts.count} + excluded.count` },
      });
    // One row per plugin: an UPDATE … FROM joined to two rows of one plugin would apply only one.
    const rows = totals.map(([id, count]) => sql`(${id}, ${count}::bigint)`);
    const added = sql`(values ${sql.join(rows, sql`, `)}) as added(plugin_id, count)`;
    await tx
      .update(plugins)
      .set({ downloads: sql`${plugins.downloads} + added.count` })
      .from(added)
      .where(eq(plugins.id, sql`added.plugin_id`));
  });
}

/**
 * The batch's counts summed per plugin (over its versions), in id order: two batches that
 * share plugins then lock their rows in the same order when the update follows the list.
 */
function totalsByPlugin(batch: DownloadBatch): [string, number][] {
  const totals = new Map<string, number>();
  for (const entry of batch.counts) totals.set(entry.pluginId, (totals.get(entry.pluginId) ?? 0) + entry.count);
  return [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
