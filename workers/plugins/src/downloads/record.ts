import type { DownloadBatch } from "@plugins/schema";
import { downloadCounts } from "@plugins/schema/tables";
import { sql } from "drizzle-orm";
import type { Database } from "../lib/database";

/** Adds a batch of counts in one statement; concurrent batches for the same day add up. */
export async function recordDownloads(db: Database, batch: DownloadBatch): Promise<void> {
  await db
    .insert(downloadCounts)
    .values(batch.counts.map((entry) => ({ ...entry, day: batch.day })))
    .onConflictDoUpdate({
      target: [downloadCounts.pluginId, downloadCounts.version, downloadCounts.day],
      set: { count: sql`${downloadCounts.count} + excluded.count` },
    });
}
