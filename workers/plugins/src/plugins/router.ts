import { createLogger } from "@plugins/runtime";
import {
  bundleUrlPath,
  LATEST_TAG,
  packageDocumentInputSchema,
  pluginRefSchema,
  resolveInputSchema,
  searchInputSchema,
} from "@plugins/schema";
import { distTags, plugins, pluginVersions } from "@plugins/schema/tables";
import { and, asc, eq, sql } from "drizzle-orm";
import fresh from "fresh";
import { z } from "zod";
import { recordAudit } from "../audit/record";
import { readUpload } from "../bundles/upload";
import { followFailed } from "../installations/update-passes";
import { RegistryError } from "../lib/errors";
import { readPackageDocument, resolveFromDocument } from "../read-models/package-documents";
import { assertGrantCovers } from "../tokens/publish-tokens";
import { grantableProcedure, publicProcedure, router } from "../trpc/init";
import type { PackageDocument } from "./document";
import { EMPTY_LISTING, versionColumnsWithoutReadme, versionListing } from "./listing";
import { publishVersion } from "./publish-version";
import { searchPlugins } from "./search";

const logEvent = createLogger("plugins");

const publishFormSchema = z.instanceof(FormData, {
  message: "must be multipart/form-data with 'file', and 'metadata' for a single-file bundle",
});

export const pluginsRouter = router({
  /** Publish a version: a single JS file with its `metadata`, or an archive with plugin.json. */
  publish: grantableProcedure("admin", "editor")
    .input(publishFormSchema)
    .mutation(async ({ ctx, input }) => {
      const upload = await readUpload(input, ctx.limits.upload);
      assertGrantCovers(ctx, "publish", upload.manifest.id);
      const published = await publishVersion(ctx, upload);
      // After the publish committed: a pass on the UPDATES queue moves the instances whose
      // update policy admits the new version. The version is published either way, so a
      // failure to queue it is logged and audited (the details stay in the log, under the same
      // request id), not answered; the next pass of the plugin moves them.
      if (published.created) {
        const { id, version } = upload.manifest;
        await ctx.updates.request({ pluginId: id, version }).catch(async (error: unknown) => {
          logEvent("error", "follow_updates_failed", {
            requestId: ctx.request.requestId,
            pluginId: id,
            message: String(error),
          });
          await ctx.db
            .transaction((tx) => recordAudit(tx, ctx, followFailed({ pluginId: id, version })))
            .catch(() => undefined);
        });
      }
      return published;
    }),

  /** Browse or search the registry: ranked full-text search, filters, cursor pagination. */
  search: publicProcedure.input(searchInputSchema).query(({ ctx, input }) => searchPlugins(ctx.db, input)),

  /**
   * A plugin with its versions (status, deprecation), dist-tags and owner, and the listing fields
   * (display name, readme, icon, links, keywords) of the version `latest` names.
   */
  get: publicProcedure.input(pluginRefSchema).query(async ({ ctx, input }) => {
    const plugin = await ctx.db.query.plugins.findFirst({
      where: eq(plugins.id, input.pluginId),
      columns: { searchVector: false },
    });
    if (!plugin) throw new RegistryError("NOT_FOUND", `Plugin '${input.pluginId}' does not exist`);
    const [versions, tags] = await Promise.all([
      // Only the readme of the version `latest` names is read: the others can be many and large.
      ctx.db
        .select({
          ...versionColumnsWithoutReadme,
          isLatest: sql<boolean>`${distTags.version} is not null`,
          readme: sql<string | null>`case when ${distTags.version} is not null then ${pluginVersions.readme} end`,
        })
        .from(pluginVersions)
        .leftJoin(
          distTags,
          and(
            eq(distTags.pluginId, pluginVersions.pluginId),
            eq(distTags.version, pluginVersions.version),
            eq(distTags.tag, LATEST_TAG),
          ),
        )
        .where(eq(pluginVersions.pluginId, input.pluginId))
        .orderBy(asc(pluginVersions.publishedAt)),
      ctx.db
        .select({ tag: distTags.tag, version: distTags.version })
        .from(distTags)
        .where(eq(distTags.pluginId, input.pluginId)),
    ]);
    const latest = versions.find((version) => version.isLatest);
    return {
      ...plugin,
      ...(latest ? versionListing(latest) : EMPTY_LISTING),
      distTags: Object.fromEntries(tags.map((row) => [row.tag, row.version])),
      versions: versions.map(({ readme: _readme, isLatest: _isLatest, ...version }) => ({
        ...version,
        bundlePath:
          version.status === "blocked" ? null : bundleUrlPath(version.pluginId, version.version, version.entry),
      })),
    };
  }),

  /**
   * The package document (`GET /api/plugins/:id`): dist-tags and every version with its status,
   * deprecation, engines, entry, integrity and files; `document` is null when `ifNoneMatch` is
   * current. Read from its read model: no database unless the document must be rebuilt.
   */
  document: publicProcedure.input(packageDocumentInputSchema).query(async ({ ctx, input }) => {
    const stored = await readPackageDocument(ctx, input.pluginId);
    if (input.ifNoneMatch && fresh({ "if-none-match": input.ifNoneMatch }, { etag: stored.etag })) {
      return { etag: stored.etag, document: null };
    }
    return { etag: stored.etag, document: stored.document as PackageDocument };
  }),

  /**
   * Turns a tag, a version or a semver range into the exact, immutable version to load,
   * resolved against the package document: no database on the way.
   */
  resolve: publicProcedure
    .input(resolveInputSchema)
    .query(({ ctx, input }) => resolveFromDocument(ctx, input.pluginId, input.range)),
});
