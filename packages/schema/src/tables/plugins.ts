import { type SQL, sql } from "drizzle-orm";
import { bigint, customType, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

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
    /** Like name and description, the display name and keywords of the version `latest` names: search matches them. */
    displayName: text("display_name"),
    /** jsonb rather than text[]: to_tsvector reads a jsonb immutably, as a generated column needs. */
    keywords: jsonb("keywords").$type<string[]>().notNull().default([]),
    ownerId: text("owner_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    /**
     * Downloads of all versions, all time: the sum of the plugin's download_counts, kept here so
     * that search sorts by it by index. downloads/record.ts adds each batch to both in one transaction.
     */
    downloads: bigint("downloads", { mode: "number" }).notNull().default(0),
    /** Ranked text search: id, name, display name and keywords weigh more than the description. */
    searchVector: tsvector("search_vector")
      .notNull()
      .generatedAlwaysAs(
        (): SQL =>
          sql`setweight(to_tsvector('simple', ${plugins.id}), 'A') || setweight(to_tsvector('english', ${plugins.name}), 'A') || setweight(to_tsvector('english', coalesce(${plugins.displayName}, '')), 'A') || setweight(to_tsvector('english', ${plugins.keywords}), 'A') || setweight(to_tsvector('english', ${plugins.description}), 'B')`,
      ),
  },
  (table) => [
    index("plugins_category_idx").on(table.category, table.id),
    index("plugins_extension_points_idx").using("gin", table.extensionPoints),
    index("plugins_search_idx").using("gin", table.searchVector),
    // The keyset orders of search (plugins/search.ts): `updated` and `downloads`, ties by id.
    index("plugins_updated_idx").on(table.updatedAt.desc().nullsFirst(), table.id),
    index("plugins_downloads_idx").on(table.downloads.desc().nullsFirst(), table.id),
  ],
);
