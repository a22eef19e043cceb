import { tenantManifests } from "@plugins/schema/tables";
import { asc, gt } from "drizzle-orm";
import { emptyManifestOf, storedManifests } from "../tenants/manifest";
import type { ReadModel } from "./read-model";
import { readRevisions } from "./read-model";

/**
 * A tenant's manifest, which every write regenerates in Postgres in its own transaction
 * (tenants/manifest.ts); the read model is that row, published to R2.
 */
export const tenantManifestModel: ReadModel = {
  kind: "tenant-manifests",
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
  async page(db, after, limit) {
    const rows = await db
      .select({ tenantId: tenantManifests.tenantId })
      .from(tenantManifests)
      .where(after === undefined ? undefined : gt(tenantManifests.tenantId, after))
      .orderBy(asc(tenantManifests.tenantId))
      .limit(limit);
    return rows.map((row) => row.tenantId);
  },
  async absent(tenantId) {
    return { revision: 0, ...(await emptyManifestOf(tenantId)) };
  },
};
