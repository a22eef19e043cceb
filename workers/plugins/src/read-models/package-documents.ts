import { plugins } from "@plugins/schema/tables";
import { RegistryError } from "../lib/errors";
import { buildPackageDocuments, documentEtag } from "../plugins/document";
import type { Context } from "../trpc/context";
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
  const stored = await readDocument(ctx.db, ctx.bucket, packageDocumentModel, pluginId);
  if (!stored) throw new RegistryError("NOT_FOUND", `Plugin '${pluginId}' does not exist`);
  return stored;
}
