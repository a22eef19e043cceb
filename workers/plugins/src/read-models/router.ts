import { rebuildReadModelsInputSchema } from "@plugins/schema";
import { roleProcedure, router } from "../trpc/init";
import { readModels } from "./kinds";
import { storeAll } from "./stored-documents";

export const readModelsRouter = router({
  /**
   * Builds one page of documents from Postgres, in id order, and stores each unless R2 holds a
   * newer one: a backfill ahead of the first reads (after an upgrade, or once the
   * `~read-models/` prefix was deleted after a database restore), which would otherwise each
   * rebuild their own. Call again with `next` until it is null.
   */
  rebuild: roleProcedure("admin")
    .input(rebuildReadModelsInputSchema)
    .mutation(async ({ ctx, input }) => {
      const model = readModels[input.kind];
      const ids = await model.page(ctx.db, input.cursor, input.limit);
      const built = await model.build(ctx.db, ids);
      await storeAll(
        ctx.bucket,
        [...built].map(([id, document]) => [model.keyOf(id), document]),
        Date.now(),
      );
      return { kind: input.kind, rebuilt: built.size, next: ids.length === input.limit ? (ids.at(-1) ?? null) : null };
    }),
});
