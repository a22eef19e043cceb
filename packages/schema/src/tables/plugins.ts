import { type SQL, sql } from "drizzle-orm";
import { customType, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

const tsvector = customType<{ data: string }>({
  dataType: () => "tsvector",
});

export const plugins = pgTable(
  "plugins",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    category: text("category").notNull(),
    extensionPoints: text("extension_points").array().notNull().default(sql`'{}'::text[]`),
    ownerId: text("owner_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    /** Ranked text search: id and name weigh more than the description. */
    searchVector: tsvector("search_vector")
      .notNull()
      .generatedAlwaysAs(
        (): SQL =>
          sql`setweight(to_tsvector('simple', ${plugins.id}), 'A') || setweight(to_tsvector('english', ${plugins.name}), 'A') || setweight(to_tsvector('english', ${plugins.description}), 'B')`,
      ),
  },
  (table) => [
    index("plugins_category_idx").on(table.category, table.id),
    index("plugins_extension_points_idx").using("gin", table.extensionPoints),
    index("plugins_search_idx").using("gin", table.searchVector),
  ],
);
