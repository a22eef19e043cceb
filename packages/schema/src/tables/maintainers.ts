import { index, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { plugins } from "./plugins";

/** Users besides the owner who may publish and manage a plugin. Only the owner (or an admin) names them. */
export const pluginMaintainers = pgTable(
  "plugin_maintainers",
  {
    pluginId: text("plugin_id")
      .notNull()
      .references(() => plugins.id),
    userId: text("user_id").notNull(),
    addedBy: text("added_by").notNull(),
    addedAt: timestamp("added_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.pluginId, table.userId] }),
    index("plugin_maintainers_user_idx").on(table.userId),
  ],
);
