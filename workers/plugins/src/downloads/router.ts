import { downloadStatsInputSchema } from "@plugins/schema";
import { downloadCounts } from "@plugins/schema/tables";
import { and, asc, eq, gte, lte } from "drizzle-orm";
import { publicProcedure, router } from "../trpc/init";

export const downloadsRouter = router({
  /** Downloads of a plugin's entry files per day and version, oldest day first. */
  stats: publicProcedure.input(downloadStatsInputSchema).query(async ({ ctx, input }) => {
    const rows = await ctx.db
      .select({ day: downloadCounts.day, version: downloadCounts.version, count: downloadCounts.count })
      .from(downloadCounts)
      .where(
        and(
          eq(downloadCounts.pluginId, input.pluginId),
          input.from ? gte(downloadCounts.day, input.from) : undefined,
          input.to ? lte(downloadCounts.day, input.to) : undefined,
        ),
      )
      .orderBy(asc(downloadCounts.day), asc(downloadCounts.version));
    const total = rows.reduce((sum, row) => sum + row.count, 0);
    return { pluginId: input.pluginId, total, days: rows };
  }),
});
