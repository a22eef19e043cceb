import { bigint, date, index, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { z } from "zod";
import { pluginIdSchema, versionSchema } from "./plugins";

/** Downloads of a version's entry file, per UTC day. Written in batches, off the hot path. */
export const downloadCounts = pgTable(
  "download_counts",
  {
    pluginId: text("plugin_id").notNull(),
    version: text("version").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    count: bigint("count", { mode: "number" }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.pluginId, table.version, table.day] }),
    index("download_counts_plugin_day_idx").on(table.pluginId, table.day),
  ],
);

/** A calendar day Postgres can store (its dates start at year 1). */
const daySchema = z.iso.date().refine((day) => day >= "0001-01-01", { message: "must be a day from 0001-01-01" });

/** A batch the API worker flushes: counts per plugin version since its last flush. */
export const downloadBatchSchema = z.object({
  day: daySchema,
  counts: z
    .array(z.object({ pluginId: pluginIdSchema, version: versionSchema, count: z.number().int().min(1).max(1e9) }))
    .min(1)
    .max(1000),
});
export type DownloadBatch = z.infer<typeof downloadBatchSchema>;

export const downloadStatsInputSchema = z.object({
  pluginId: pluginIdSchema,
  from: daySchema.optional(),
  to: daySchema.optional(),
});
