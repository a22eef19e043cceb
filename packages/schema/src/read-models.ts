import { z } from "zod";

/** The read models boot reads are answered from (README, "Read models"). */
export const readModelKindSchema = z.enum(["packages", "tenant-manifests", "instances"]);

/** Most documents one `readModels.rebuild` call builds: each page is a few statements and one put per document. */
export const MAX_REBUILD_PAGE = 500;

/** `readModels.rebuild`: one page of documents, in id order after `cursor`. */
export const rebuildReadModelsInputSchema = z.object({
  kind: readModelKindSchema,
  /** The `next` of the previous page; absent for the first. */
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(MAX_REBUILD_PAGE).default(100),
});
