import { z } from "zod";
import { tenantIdSchema } from "./identity";

export const auditListInputSchema = z.object({
  /** Admins may leave it out to read every tenant's entries and the registry's own. */
  tenantId: tenantIdSchema.optional(),
  /** The `nextCursor` of the previous page. */
  cursor: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
