import { bundleUrlPath, LATEST_TAG, type searchInputSchema } from "@plugins/schema";
import { distTags, plugins, pluginVersions } from "@plugins/schema/tables";
import { and, arrayContains, asc, desc, eq, gt, lt, lte, or, type SQL, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Database } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { decodeCursor, encodeCursor, type SearchCursor } from "./search-cursor";

type SearchInput = z.output<typeof searchInputSchema>;

/**
 * The key an order other than `name` sorts on, descending, before the id: as ordered by, as
 * written into a cursor, and a cursor's key as a value of the column's type.
 */
interface SortKey {
  column: SQL;
  value: SQL<number>;
  fromCursor: (key: number) => SQL;
}

function sortKey(sort: SearchInput["sort"], rank: SQL<number> | null): SortKey | null {
  switch (sort) {
    case "name":
      return null;
    case "relevance":
      // The input schema refuses `relevance` without a query, so there is a rank.
      if (!rank) throw new RegistryError("BAD_REQUEST", "sort: relevance needs a query");
      return { column: rank, value: rank, fromCursor: (key) => sql`${key}::real` };
    case "updated":
      // Microseconds, as exact as the column: a millisecond Date would fall between rows.
      return {
        column: sql`${plugins.updatedAt}`,
        value: sql<number>`(extract(epoch from ${plugins.updatedAt}) * 1000000)::bigint`.mapWith(Number),
        fromCursor: (key) => sql`'epoch'::timestamptz + ${key}::bigint * interval '1 microsecond'`,
      };
    case "downloads":
      return {
        column: sql`${plugins.downloads}`,
        value: sql<number>`${plugins.downloads}`.mapWith(Number),
        fromCursor: (key) => sql`${key}::bigint`,
      };
  }
}

/**
 * Lists plugins page by page, in the order `sort` names: by full-text rank (id, name, display
 * name and keywords above description), by id, the latest listing change first, or the most
 * downloaded first; ties by id. Each item carries what a marketplace list shows: display name,
 * keywords, the icon's bundle URL path and the all-time downloads. `kind` and the icon are the
 * `latest` version's: what an install gets. Pages are keyset-paginated in every order, each
 * by index but `relevance`, so page N costs the same as page 1 and rows inserted meanwhile
 * neither repeat nor vanish.
 */
export async function searchPlugins(db: Database, input: SearchInput) {
  const query = input.query ? sql`websearch_to_tsquery('english', ${input.query})` : null;
  const rank = query ? sql<number>`ts_rank_cd(${plugins.searchVector}, ${query})` : null;
  const cursor = input.cursor ? decodeCursor(input.cursor, input) : null;
  const key = sortKey(input.sort, rank);
  const kind = sql<string | null>`${pluginVersions.manifest}->>'kind'`;
  const icon = sql<string | null>`${pluginVersions.manifest}->>'icon'`;

  const filters: (SQL | undefined)[] = [
    query ? sql`${plugins.searchVector} @@ ${query}` : undefined,
    input.category ? eq(plugins.category, input.category) : undefined,
    input.extensionPoint ? arrayContains(plugins.extensionPoints, [input.extensionPoint]) : undefined,
    input.kind ? eq(kind, input.kind) : undefined,
  ];
  if (cursor && key && "key" in cursor) {
    // The bound alone (`<=`) is what lets an index scan start at the cursor.
    const at = key.fromCursor(cursor.key);
    filters.push(lte(key.column, at), or(lt(key.column, at), gt(plugins.id, cursor.id)));
  } else if (cursor) {
    filters.push(gt(plugins.id, cursor.id));
  }

  const rows = await db
    .select({
      id: plugins.id,
      name: plugins.name,
      description: plugins.description,
      category: plugins.category,
      extensionPoints: plugins.extensionPoints,
      displayName: plugins.displayName,
      keywords: plugins.keywords,
      latestVersion: distTags.version,
      icon,
      kind,
      updatedAt: plugins.updatedAt,
      downloads: plugins.downloads,
      key: key?.value ?? sql<null>`null`,
    })
    .from(plugins)
    .leftJoin(distTags, and(eq(distTags.pluginId, plugins.id), eq(distTags.tag, LATEST_TAG)))
    .leftJoin(
      pluginVersions,
      and(eq(pluginVersions.pluginId, plugins.id), eq(pluginVersions.version, distTags.version)),
    )
    .where(and(...filters))
    .orderBy(...(key ? [desc(key.column), asc(plugins.id)] : [asc(plugins.id)]))
    .limit(input.limit + 1);

  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(({ key: _key, icon: iconPath, ...item }) => ({
      ...item,
      iconUrl: iconPath && item.latestVersion ? bundleUrlPath(item.id, item.latestVersion, iconPath) : null,
    })),
    nextCursor: rows.length > input.limit && last ? encodeCursor(cursorAfter(input, last.id, last.key)) : null,
  };
}

/** The cursor of a page that ends at the row `id` whose sort key is `key` (none in `name` order). */
function cursorAfter(listing: SearchInput, id: string, key: number | null): SearchCursor {
  const { sort, query } = listing;
  if (sort === "name" || key === null) return { sort: "name", query, id };
  return { sort, query, key, id };
}
