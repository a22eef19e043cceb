import {
  bundleObjectKey,
  bundleUrlPath,
  type PluginMetadata,
  plugins,
  pluginVersions,
  SINGLE_FILE_ENTRY,
} from "@plugins/schema";
import { TRPCError } from "@trpc/server";
import { and, eq, sql } from "drizzle-orm";
import { recordAudit } from "./audit";
import { digestFile } from "./integrity";
import type { Context } from "./trpc";
import { supersedesLatest } from "./versions";

export interface PublishRequest {
  metadata: PluginMetadata;
  bundle: ArrayBuffer;
}

export type PublishedVersion = typeof pluginVersions.$inferSelect & { bundlePath: string };

/**
 * Publishes one version of a plugin. A published `id@version` never changes: the same bytes
 * again return the stored record (`created: false`), other bytes are refused with CONFLICT.
 *
 * The plugin row is locked for the whole publish so two publishers of one plugin run one
 * after the other; the bytes go to R2 while the lock is held, so a losing publisher can
 * never overwrite the winner's object.
 */
export async function publishVersion(
  ctx: Context,
  { metadata, bundle }: PublishRequest,
): Promise<{ created: boolean; version: PublishedVersion }> {
  if (bundle.byteLength === 0) throw new TRPCError({ code: "BAD_REQUEST", message: "file: the bundle is empty" });
  if (bundle.byteLength > ctx.limits.maxBundleBytes) {
    throw new TRPCError({
      code: "PAYLOAD_TOO_LARGE",
      message: `file: the bundle is ${bundle.byteLength} bytes; the limit is ${ctx.limits.maxBundleBytes}`,
    });
  }
  const digests = await digestFile(bundle);
  const { identity } = ctx;
  const key = bundleObjectKey(metadata.id, metadata.version, SINGLE_FILE_ENTRY);

  const outcome = await ctx.db.transaction(async (tx) => {
    await tx
      .insert(plugins)
      .values({
        id: metadata.id,
        name: metadata.name,
        description: metadata.description,
        category: metadata.category,
        extensionPoints: metadata.extensionPoints,
        ownerId: identity.sub,
      })
      .onConflictDoNothing();
    const [plugin] = await tx.select().from(plugins).where(eq(plugins.id, metadata.id)).for("update");
    if (!plugin) throw new Error(`plugin ${metadata.id} vanished inside its publish transaction`);
    if (plugin.ownerId !== identity.sub && identity.role !== "admin") {
      throw new TRPCError({ code: "FORBIDDEN", message: `Plugin '${metadata.id}' belongs to another publisher` });
    }

    const [existing] = await tx
      .select()
      .from(pluginVersions)
      .where(and(eq(pluginVersions.pluginId, metadata.id), eq(pluginVersions.version, metadata.version)));
    if (existing) {
      if (existing.sha256 !== digests.sha256) {
        throw new TRPCError({
          code: "CONFLICT",
          message: `${metadata.id}@${metadata.version} is already published with different content; publish a new version`,
        });
      }
      return { created: false, row: existing };
    }

    await ctx.bucket.put(key, bundle, {
      sha256: digests.sha256,
      httpMetadata: { contentType: "text/javascript; charset=utf-8" },
    });
    const [row] = await tx
      .insert(pluginVersions)
      .values({
        pluginId: metadata.id,
        version: metadata.version,
        manifest: metadata,
        size: bundle.byteLength,
        sha256: digests.sha256,
        integrity: digests.integrity,
        r2Key: key,
        publishedBy: identity.sub,
      })
      .returning();
    if (!row) throw new Error("insert of a plugin version returned no row");

    if (supersedesLatest(metadata.version, plugin.latestVersion)) {
      await tx
        .update(plugins)
        .set({
          latestVersion: metadata.version,
          name: metadata.name,
          description: metadata.description,
          category: metadata.category,
          extensionPoints: metadata.extensionPoints,
          updatedAt: sql`now()`,
        })
        .where(eq(plugins.id, metadata.id));
    }
    await recordAudit(tx, ctx, {
      action: "plugin_version.publish",
      resourceType: "plugin_version",
      resourceId: `${metadata.id}@${metadata.version}`,
      details: { size: bundle.byteLength, sha256: digests.sha256 },
    });
    return { created: true, row };
  });

  return {
    created: outcome.created,
    version: { ...outcome.row, bundlePath: bundleUrlPath(metadata.id, metadata.version, SINGLE_FILE_ENTRY) },
  };
}
