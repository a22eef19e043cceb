import { z } from "zod";
import { pluginIdSchema } from "./plugins";
import { plainText } from "./text";

export const maintainerInputSchema = z.object({
  pluginId: pluginIdSchema,
  userId: plainText().trim().min(1).max(256),
});
