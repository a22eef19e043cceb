import { bigint, date, index, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

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
