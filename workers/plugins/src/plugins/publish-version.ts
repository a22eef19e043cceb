import { createLogger } from "@plugins/runtime";
import {
  bundleObjectKey,
  bundleUrlPath,
  checkListingFiles,
  extensionPointNames,
  type Identity,
  LATEST_TAG,
  type PluginManifest,
  quotePath,
  type VersionSignature,
} from "@plugins/schema";
import { distTags, type PluginVersion, plugins, pluginVersions, versionFiles } from "@plugins/schema/tables";
import { and, eq, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record";
import { contentTypeFor } from "../bundles/content-types";
import { digestContent, digestFile, type FileDigests } from "../bundles/integrity";
import type { PublishRequest } from "../bundles/upload";
import type { Transaction } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { recordChange } from "../read-models/changes";
import { signVersion } from "../signatures/sign-version";
import type { Context } from "../trpc/context";
import { moveLatest } from "../versions/tags";
import { maySteward } from "./ownership";

const logEvent = createLogger("plugins");

/** The stored version, its entry file's digests and the entry's public path. */
export type PublishedVersion = PluginVersion & { bundlePath: string; entrySha256: string };

/** R2 accepts many parallel puts; a bounded number keeps memory and sockets in check. */
const PUT_CONCURRENCY = 8;

/**
 * Publishes one version of a plugin. A published `id@version` never changes: the same
 * content again returns the stored record (`created: false`); other content, or a number
 * once used by a yanked or blocked version, is refused with CONFLICT.
 *
 * The plugin row is locked for the whole publish so two publishers of one plugin run one
 * after the other, and the bytes go to R2 last, while the lock is held, so a losing
 * publisher can never overwrite the winner's objects and a refused publish stores nothing.
 */
export async function publishVersion(
  ctx: Context,
  request: PublishRequest,
): Promise<{ created: boolean; version: PublishedVersion }> {
  const { manifest, files, tag } = request;
  const content = await describeContent(request);
  const signature = await signVersion(ctx.signingKeys, {
    pluginId: manifest.id,
    version: manifest.version,
    integrity: content.entry.integrity,
    files: content.files,
  });
  let storedKeys: string[] = [];

  const outcome = await ctx.db
    .transaction(async (tx) => {
      await claimPlugin(tx, ctx.identity, manifest);
      const existing = await republished(tx, manifest, content.contentDigest);
      // Equal digests mean equal paths and bytes, so the entry file's digests are these too.
      if (existing) return { created: false, row: existing };

      const row = await insertVersion(tx, ctx.identity, request, content, signature);
      recordChange(tx, "packages", manifest.id);
      if (await moveTags(tx, manifest, tag)) await updatePluginListing(tx, manifest);
      await recordAudit(tx, ctx, {
        action: "plugin_version.publish",
        resourceType: "plugin_version",
        resourceId: `${manifest.id}@${manifest.version}`,
        details: {
          files: files.length,
          size: content.totalSize,
          contentDigest: content.contentDigest,
          tag: tag ?? LATEST_TAG,
        },
      });
      // Bytes last: every row that could fail is written by now. The plugin row stays locked,
      // so no concurrent publisher of this version reaches this point before the commit.
      storedKeys = content.files.map((file) => bundleObjectKey(manifest.id, manifest.version, file.path));
      await storeBytes(ctx.bucket, manifest, request.entry, content.files);
      return { created: true, row };
    })
    .catch(async (error: unknown) => {
      if (storedKeys.length > 0) {
        await removeUncommittedBytes(ctx, manifest, storedKeys).catch((cleanupError: unknown) =>
          logEvent("error", "publish_cleanup_failed", {
            requestId: ctx.request.requestId,
            keys: storedKeys.length,
            message: String(cleanupError),
          }),
        );
      }
      throw error;
    });

  return {
    created: outcome.created,
    version: {
      ...outcome.row,
      entrySha256: content.entry.sha256,
      bundlePath: bundleUrlPath(manifest.id, manifest.version, outcome.row.entry),
    },
  };
}

type DescribedFile = PublishRequest["files"][number] & FileDigests & { contentType: string };

interface DescribedContent {
  /** Every file with its digests and the Content-Type it is served with. */
  files: DescribedFile[];
  /** One digest of the whole version: see `digestContent`. */
  contentDigest: string;
  entry: FileDigests;
  totalSize: number;
  /** The readme's text, stored beside the version. */
  readme: string | null;
}

/** Digests every file and the version as a whole, before any database work. */
async function describeContent({ manifest, files, entry }: PublishRequest): Promise<DescribedContent> {
  if (!files.some((file) => file.path === entry)) {
    throw new RegistryError("BAD_REQUEST", `entry: the bundle has no file "${entry}"`);
  }
  checkServerModule(manifest.server, entry, files);
  const listing = checkListingFiles(manifest, files);
  if (!listing.ok) throw new RegistryError("BAD_REQUEST", listing.problem);
  const described = await Promise.all(
    files.map(async (file) => ({ ...file, ...(await digestFile(file.bytes)), contentType: contentTypeFor(file.path) })),
  );
  const contentDigest = await digestContent(described, manifest);
  const entryDigests = described.find((file) => file.path === entry);
  if (!entryDigests) throw new Error("the entry file lost its digests");
  const totalSize = files.reduce((sum, file) => sum + file.bytes.byteLength, 0);
  return { files: described, contentDigest, entry: entryDigests, totalSize, readme: listing.readme };
}

/**
 * The manifest's `server` (already a JavaScript module path) must be a file of this bundle,
 * and not the entry: the entry is served to browsers, the server module runs on the platform,
 * and one file cannot be both. So a server-side plugin is published as an archive.
 */
function checkServerModule(server: string | undefined, entry: string, files: PublishRequest["files"]): void {
  if (server === undefined) return;
  if (server === entry) {
    throw new RegistryError(
      "BAD_REQUEST",
      `server: ${quotePath(server)} is the entry; the server module must be another file of the bundle`,
    );
  }
  if (!files.some((file) => file.path === server)) {
    throw new RegistryError("BAD_REQUEST", `server: ${quotePath(server)} is not a file of the bundle`);
  }
}

/**
 * Creates the plugin on its first publish (the publisher becomes its owner), then locks its
 * row for the rest of the publish and checks that the caller may publish to it.
 */
async function claimPlugin(tx: Transaction, identity: Identity, manifest: PluginManifest): Promise<void> {
  await tx
    .insert(plugins)
    .values({
      id: manifest.id,
      name: manifest.name,
      description: manifest.description,
      category: manifest.category,
      extensionPoints: extensionPointNames(manifest),
      displayName: manifest.displayName ?? null,
      keywords: manifest.keywords ?? [],
      ownerId: identity.sub,
    })
    .onConflictDoNothing();
  const [plugin] = await tx.select().from(plugins).where(eq(plugins.id, manifest.id)).for("no key update");
  if (!plugin) throw new Error(`plugin ${manifest.id} vanished inside its publish transaction`);
  if (!(await maySteward(tx, identity, plugin))) {
    throw new RegistryError(
      "FORBIDDEN",
      `Plugin '${manifest.id}' belongs to another publisher; its owner can add you as a maintainer`,
    );
  }
}

/**
 * The stored version when this number is already published with the same content (a
 * republish, answered as it is), null for a new number; CONFLICT for other content or a
 * number a yanked or blocked version used.
 */
async function republished(
  tx: Transaction,
  manifest: PluginManifest,
  contentDigest: string,
): Promise<PluginVersion | null> {
  const [existing] = await tx
    .select()
    .from(pluginVersions)
    .where(and(eq(pluginVersions.pluginId, manifest.id), eq(pluginVersions.version, manifest.version)));
  if (!existing) return null;
  if (existing.status !== "published" || existing.contentDigest !== contentDigest) {
    throw new RegistryError(
      "CONFLICT",
      existing.status === "published"
        ? `${manifest.id}@${manifest.version} is already published with different content; publish a new version`
        : `${manifest.id}@${manifest.version} was ${existing.status}; a version number is never reused`,
    );
  }
  return existing;
}

/** Records the version and its file list. */
async function insertVersion(
  tx: Transaction,
  identity: Identity,
  { manifest, files, entry }: PublishRequest,
  content: DescribedContent,
  signature: VersionSignature | null,
): Promise<PluginVersion> {
  const [row] = await tx
    .insert(pluginVersions)
    .values({
      pluginId: manifest.id,
      version: manifest.version,
      manifest,
      entry,
      fileCount: files.length,
      size: content.totalSize,
      contentDigest: content.contentDigest,
      integrity: content.entry.integrity,
      publishedBy: identity.sub,
      readme: content.readme,
      signature,
    })
    .returning();
  if (!row) throw new Error("insert of a plugin version returned no row");
  await tx.insert(versionFiles).values(
    content.files.map((file) => ({
      pluginId: manifest.id,
      version: manifest.version,
      path: file.path,
      size: file.bytes.byteLength,
      contentType: file.contentType,
      sha256: file.sha256,
      integrity: file.integrity,
    })),
  );
  return row;
}

/**
 * Points `tag` at the new version, or, without one (or with `latest`), lets `latest` follow
 * the highest stable version. Returns whether `latest` now names the new version through
 * that, so the plugin's listing should take its name and description.
 */
async function moveTags(tx: Transaction, manifest: PluginManifest, tag: string | undefined): Promise<boolean> {
  if (!tag || tag === LATEST_TAG) return (await moveLatest(tx, manifest.id)) === manifest.version;
  await tx
    .insert(distTags)
    .values({ pluginId: manifest.id, tag, version: manifest.version })
    .onConflictDoUpdate({
      target: [distTags.pluginId, distTags.tag],
      set: { version: manifest.version, updatedAt: sql`now()` },
    });
  // A tag leaves `latest` alone, but a plugin's first version must still create it.
  const latest = await tx.query.distTags.findFirst({
    where: and(eq(distTags.pluginId, manifest.id), eq(distTags.tag, LATEST_TAG)),
    columns: { version: true },
  });
  if (!latest) await moveLatest(tx, manifest.id);
  return false;
}

/**
 * The plugin takes the name, description, category, extension points, display name and keywords
 * of the version `latest` now names: what search matches and lists.
 */
async function updatePluginListing(tx: Transaction, manifest: PluginManifest): Promise<void> {
  await tx
    .update(plugins)
    .set({
      name: manifest.name,
      description: manifest.description,
      category: manifest.category,
      extensionPoints: extensionPointNames(manifest),
      displayName: manifest.displayName ?? null,
      keywords: manifest.keywords ?? [],
      updatedAt: sql`now()`,
    })
    .where(eq(plugins.id, manifest.id));
}

/** Stores every file under its immutable key, a few at a time; the entry is marked for download counting. */
async function storeBytes(
  bucket: Context["bucket"],
  manifest: PluginManifest,
  entry: string,
  files: readonly DescribedFile[],
): Promise<void> {
  for (let start = 0; start < files.length; start += PUT_CONCURRENCY) {
    await Promise.all(
      files.slice(start, start + PUT_CONCURRENCY).map((file) =>
        bucket.put(bundleObjectKey(manifest.id, manifest.version, file.path), file.bytes, {
          sha256: file.sha256,
          httpMetadata: { contentType: file.contentType },
          customMetadata: file.path === entry ? { entry: "true" } : {},
        }),
      ),
    );
  }
}

/**
 * The commit failed after the bytes were stored: remove them, unless a version row exists
 * by now (a concurrent publisher committed the same version, and the objects are its own).
 */
async function removeUncommittedBytes(ctx: Context, manifest: PluginManifest, keys: string[]): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    await tx.select({ id: plugins.id }).from(plugins).where(eq(plugins.id, manifest.id)).for("no key update");
    const [committed] = await tx
      .select({ version: pluginVersions.version })
      .from(pluginVersions)
      .where(and(eq(pluginVersions.pluginId, manifest.id), eq(pluginVersions.version, manifest.version)));
    if (!committed) await ctx.bucket.delete(keys);
  });
}
