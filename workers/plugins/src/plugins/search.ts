import { decodeBase64, encodeBase64url } from "@plugins/runtime";
import { bundleUrlPath, LATEST_TAG, pluginIdSchema, type searchInputSchema } from "@plugins/schema";
import { distTags, plugins, pluginVersions } from "@plugins/schema/tables";
import { and, arrayContains, asc, desc, eq, gt, lt, or, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../lib/database";
import { RegistryError } from "../lib/errors";

type SearchInput = z.output<typeof searchInputSchema>;

/** Where the previous page ended: the last id, and its rank when the listing is ranked. */
const cursorSchema = z.object({ id: pluginIdSchema, rank: z.number().refine(fitsReal).optional() });

/** Postgres refuses a `real` that overflows or underflows to zero; a tampered cursor must not reach it. */
function fitsReal(value: number): boolean {
  const single = Math.fround(value);
  return Number.isFinite(single) && (value === 0 || single !== 0);
}
type Cursor = z.infer<typeof cursorSchema>;

function encodeCursor(cursor: Cursor): string {
  return encodeBase64url(new TextEncoder().encode(JSON.stringify(cursor)));
}

function decodeCursor(text: string): Cursor {
  try {
    return cursorSchema.parse(JSON.parse(new TextDecoder().decode(decodeBase64(text))));
  } catch {
    throw new RegistryError("BAD_REQUEST", "cursor: not a cursor returned by a previous page");
  }
}

/**
 * Lists plugins page by page. Without words, in id order; with words, by full-text rank
 * (id, name, display name and keywords above description). Each item carries what a
 * marketplace list shows: display name, keywords and the icon's bundle URL path. `kind` and
 * the icon are the `latest` version's: what an install gets. Pages are keyset-paginated, so
 * page N costs the same as page 1 and rows inserted meanwhile neither repeat nor vanish.
 */
export async function searchPlugins(db: Database, input: SearchInput) {
  const query = input.query ? sql`websearch_to_tsquery('english', ${input.query})` : null;
  const rank = query ? sql<number>`ts_rank_cd(${plugins.searchVector}, ${query})` : null;
  const cursor = input.cursor ? decodeCursor(input.cursor) : null;
  const kind = sql<string | null>`${pluginVersions.manifest}->>'kind'`;
  const icon = sql<string | null>`${pluginVersions.manifest}->>'icon'`;

  const filters: (SQL | undefined)[] = [
    query ? sql`${plugins.searchVector} @@ ${query}` : undefined,
    input.category ? eq(plugins.category, input.category) : undefined,
    input.extensionPoint ? arrayContains(plugins.extensionPoints, [input.extensionPoint]) : undefined,
    input.kind ? eq(kind, input.kind) : undefined,
  ];
  if (cursor && rank && cursor.rank !== undefined) {
    filters.push(
      or(lt(rank, sql`${cursor.rank}::real`), and(eq(rank, sql`${cursor.rank}::real`), gt(plugins.id, cursor.id))),
    );
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
      rank: rank ?? sql<number>`0`,
    })
    .from(plugins)
    .leftJoin(distTags, and(eq(distTags.pluginId, plugins.id), eq(distTags.tag, LATEST_TAG)))
    .leftJoin(
      pluginVersions,
      and(eq(pluginVersions.pluginId, plugins.id), eq(pluginVersions.version, distTags.version)),
    )
    .where(and(...filters))
    .orderBy(...(rank ? [desc(rank), asc(plugins.id)] : [asc(plugins.id)]))
    .limit(input.limit + 1);

  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(({ rank: _rank, icon: iconPath, ...item }) => ({
      ...item,
      iconUrl: iconPath && item.latestVersion ? bundleUrlPath(item.id, item.latestVersion, iconPath) : null,
    })),
    nextCursor:
      rows.length > input.limit && last ? encodeCursor({ id: last.id, ...(rank ? { rank: last.rank } : {}) }) : null,
  };
}
