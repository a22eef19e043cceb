import type { R2Bucket } from "@cloudflare/workers-types/2023-07-01/index";
import type { ReadModelKind } from "./changes";
import { packageDocumentModel } from "./package-documents";
import type { ReadModel } from "./read-model";
import { type BuiltDocument, storeDocument } from "./stored-documents";
import { tenantManifestModel } from "./tenant-manifests";

export const readModels: Record<ReadModelKind, ReadModel> = {
  packages: packageDocumentModel,
  "tenant-manifests": tenantManifestModel,
};

/** R2 calls in flight at once for one request's documents. */
const PARALLEL_PUTS = 8;

/** Stores documents built of `model`, a few at a time, each unless R2 holds a newer one. */
export async function storeBuilt(
  bucket: R2Bucket,
  model: ReadModel,
  built: ReadonlyMap<string, BuiltDocument>,
  now: number,
): Promise<void> {
  await inParallel([...built], ([id, document]) => storeDocument(bucket, model.keyOf(id), document, now));
}

export async function inParallel<T>(items: readonly T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_PUTS, items.length) }, worker));
}
