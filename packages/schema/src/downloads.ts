import { z } from "zod";
import { pluginIdSchema, versionSchema } from "./plugins";

/** A calendar day Postgres can store (its dates start at year 1). */
const daySchema = z.iso.date().refine((day) => day >= "0001-01-01", { message: "must be a day from 0001-01-01" });

/** A batch the API worker flushes: counts per plugin version since its last flush. */
export const downloadBatchSchema = z.object({
  day: daySchema,
  counts: z
    .array(z.object({ pluginId: pluginIdSchema, version: versionSchema, count: z.number().int().min(1).max(1e9) }))
    .min(1)
    .max(1000),
});
export type DownloadBatch = z.infer<typeof downloadBatchSchema>;

export const downloadStatsInputSchema = z.object({
  pluginId: pluginIdSchema,
  from: daySchema.optional(),
  to: daySchema.optional(),
});
