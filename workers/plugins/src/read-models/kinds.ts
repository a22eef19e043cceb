import type { ReadModelKind } from "./changes";
import { instanceModel } from "./engine-instances";
import { packageDocumentModel } from "./package-documents";
import type { ReadModel } from "./read-model";
import { tenantManifestModel } from "./tenant-manifests";

/** Every read model, by the kind a write records (changes.ts) and `readModels.rebuild` names. */
export const readModels: Record<ReadModelKind, ReadModel> = {
  packages: packageDocumentModel,
  "tenant-manifests": tenantManifestModel,
  instances: instanceModel,
};
