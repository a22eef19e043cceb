import {
  bundleUrlPath,
  pluginIdSchema,
  pluginMetadataJsonSchema,
  plugins,
  pluginVersions,
  resolveInputSchema,
  SINGLE_FILE_ENTRY,
} from "@plugins/schema";
import { TRPCError } from "@trpc/server";
import { asc, eq, gt } from "drizzle-orm";
import { z } from "zod";
import { publishVersion } from "../publish-version";
import { resolveVersion } from "../resolve-version";
import { publicProcedure, roleProcedure, router } from "../trpc";

/** The multipart form of a publish: `metadata` (JSON text) and `file` (the bundle). */
const publishFormSchema = z
  .instanceof(FormData, { message: "must be multipart/form-data with 'metadata' and 'file'" })
  .transform((form) => ({ metadata: form.get("metadata"), file: form.get("file") }))
  .pipe(
    z.object({
      metadata: pluginMetadataJsonSchema,
      file: z.instanceof(File, { message: "must be a file upload" }),
    }),
  );

const listInputSchema = z.object({
  cursor: pluginIdSchema.optional(),
  limit: z.number().int().min(1).max(100).default(20),
});

export const pluginsRouter = router({
  publish: roleProcedure("admin", "editor")
    .input(publishFormSchema)
    .mutation(async ({ ctx, input }) => {
      const bundle = await input.file.arrayBuffer();
      return publishVersion(ctx, { metadata: input.metadata, bundle });
    }),

  list: publicProcedure.input(listInputSchema).query(async ({ ctx, input }) => {
    const rows = await ctx.db
      .select()
      .from(plugins)
      .where(input.cursor ? gt(plugins.id, input.cursor) : undefined)
      .orderBy(asc(plugins.id))
      .limit(input.limit + 1);
    const page = rows.slice(0, input.limit);
    return { items: page, nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null };
  }),

  get: publicProcedure.input(z.object({ pluginId: pluginIdSchema })).query(async ({ ctx, input }) => {
    const plugin = await ctx.db.query.plugins.findFirst({ where: eq(plugins.id, input.pluginId) });
    if (!plugin) throw new TRPCError({ code: "NOT_FOUND", message: `Plugin '${input.pluginId}' does not exist` });
    const versions = await ctx.db
      .select()
      .from(pluginVersions)
      .where(eq(pluginVersions.pluginId, input.pluginId))
      .orderBy(asc(pluginVersions.publishedAt));
    return {
      ...plugin,
      versions: versions.map((version) => ({
        ...version,
        bundlePath: bundleUrlPath(version.pluginId, version.version, SINGLE_FILE_ENTRY),
      })),
    };
  }),

  /** Turns `latest` or a semver range into the exact, immutable version to load. */
  resolve: publicProcedure.input(resolveInputSchema).query(async ({ ctx, input }) => {
    const match = await resolveVersion(ctx.db, input.pluginId, input.range);
    return {
      pluginId: match.pluginId,
      version: match.version,
      integrity: match.integrity,
      bundlePath: bundleUrlPath(match.pluginId, match.version, SINGLE_FILE_ENTRY),
    };
  }),
});
