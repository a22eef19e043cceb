import { tenantManifests } from "@plugins/schema/tables";
import { emptyManifestOf, storedManifests } from "../tenants/manifest";
import { pageOfIds, type ReadModel, readRevisions } from "./read-model";

/**
 * A tenant's manifest, which every write regenerates in Postgres in its own transaction
 * (tenants/manifest.ts); the read model is that row, published to R2.
 */
export const tenantManifestModel: ReadModel = {
  keyOf: (tenantId) => `tenants/${tenantId}/manifest`,
  async build(db, tenantIds) {
    const revisionOf = await readRevisions(db, tenantIds.map(tenantManifestModel.keyOf));
    const manifests = await storedManifests(db, tenantIds);
    return new Map(
      [...manifests].map(([tenantId, { document, etag }]) => [
        tenantId,
        { revision: revisionOf(tenantManifestModel.keyOf(tenantId)), etag, body: JSON.stringify(document) },
      ]),
    );
  },
  page: (db, after, limit) => pageOfIds(db, tenantManifests.tenantId, after, limit),
  async absent(tenantId) {
    return { revision: 0, ...(await emptyManifestOf(tenantId)) };
  },
};
