import { plugins } from "@plugins/schema/tables";
import { RegistryError } from "../lib/errors";
import { buildPackageDocuments, documentEtag, type PackageDocument } from "../plugins/document";
import type { Context } from "../trpc/context";
import { chooseVersion } from "../versions/resolve";
import { pageOfIds, type ReadModel, readDocument, readRevisions } from "./read-model";
import type { BuiltDocument } from "./stored-documents";

/** A plugin's package document (plugins/document.ts), served at `GET /api/plugins/:id`. */
export const packageDocumentModel: ReadModel = {
  keyOf: (pluginId) => `packages/${pluginId}`,
  async build(db, pluginIds) {
    const revisionOf = await readRevisions(db, pluginIds.map(packageDocumentModel.keyOf));
    const built = new Map<string, BuiltDocument>();
    for (const [pluginId, document] of await buildPackageDocuments(db, pluginIds)) {
      built.set(pluginId, {
        revision: revisionOf(packageDocumentModel.keyOf(pluginId)),
        etag: await documentEtag(document),
        body: JSON.stringify(document),
      });
    }
    return built;
  },
  page: (db, after, limit) => pageOfIds(db, plugins.id, after, limit),
};

/** The stored package document of `pluginId` ; NOT_FOUND for an unknown plugin. */
export async function readPackageDocument(ctx: Pick<Context, "db" | "bucket">, pluginId: string) {
  const stored = await readDocument(ctx, ctx.bucket, packageDocumentModel, pluginId);
  if (!stored) throw new RegistryError("NOT_FOUND", `Plugin '${pluginId}' does not exist`);
  return stored;
}

/**
 * The exact version a tag, a version or a semver range of `pluginId` names, resolved against
 * its package document: what `plugins.resolve` and floating bundle URLs answer.
 */
export async function resolveFromDocument(ctx: Pick<Context, "db" | "bucket">, pluginId: string, range: string) {
  const document = (await readPackageDocument(ctx, pluginId)).document as PackageDocument;
  const versions = Object.entries(document.versions).map(([version, { status }]) => ({ version, status }));
  const version = chooseVersion(pluginId, range, { distTags: document.distTags, versions });
  const match = document.versions[version];
  // chooseVersion answers GONE for a blocked version, which keeps no entry.
  if (!match || match.status === "blocked") throw new Error(`resolved to ${pluginId}@${version}, not servable`);
  return {
    pluginId,
    version,
    status: match.status,
    entry: match.entry,
    integrity: match.integrity,
    bundlePath: match.bundlePath,
    deprecated: match.deprecated,
  };
}

/** What a floating reference resolves to (`plugins.resolve`, and the internal route the gateway redirects from). */
export type ResolvedVersion = Awaited<ReturnType<typeof resolveFromDocument>>;
