import { LATEST_TAG, removeTagInputSchema, setTagInputSchema } from "@plugins/schema";
import { distTags, pluginVersions } from "@plugins/schema/tables";
import { and, eq, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record";
import { RegistryError } from "../lib/errors";
import { lockManagedPlugin } from "../plugins/ownership";
import { recordChange } from "../read-models/changes";
import { roleProcedure, router } from "../trpc/init";
import { moveLatest } from "./tags";

export const tagsRouter = router({
  /** Points a tag at a published version. Setting `latest` by hand stops it following new publishes. */
  set: roleProcedure("admin", "editor")
    .input(setTagInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.db.transaction(async (tx) => {
        await lockManagedPlugin(tx, ctx.identity, input.pluginId);
        const version = await tx.query.pluginVersions.findFirst({
          where: and(eq(pluginVersions.pluginId, input.pluginId), eq(pluginVersions.version, input.version)),
          columns: { status: true },
        });
        if (!version) {
          throw new RegistryError("NOT_FOUND", `${input.pluginId}@${input.version} does not exist`);
        }
        if (version.status !== "published") {
          throw new RegistryError(
            "CONFLICT",
            `${input.pluginId}@${input.version} is ${version.status}; only published versions can be tagged`,
          );
        }
        await tx
          .insert(distTags)
          .values({ pluginId: input.pluginId, tag: input.tag, version: input.version, explicit: true })
          .onConflictDoUpdate({
            target: [distTags.pluginId, distTags.tag],
            set: { version: input.version, explicit: true, updatedAt: sql`now()` },
          });
        recordChange(tx, "packages", input.pluginId);
        // Instances on the `latest` policy follow it, in a pass of the UPDATES queue.
        if (input.tag === LATEST_TAG) await ctx.updates.request({ pluginId: input.pluginId, version: input.version });
        await recordAudit(tx, ctx, {
          action: "dist_tag.set",
          resourceType: "plugin",
          resourceId: input.pluginId,
          details: { tag: input.tag, version: input.version },
        });
        return { pluginId: input.pluginId, tag: input.tag, version: input.version };
      }),
    ),

  /** Removes a tag. Removing `latest` hands it back to the highest stable version. */
  remove: roleProcedure("admin", "editor")
    .input(removeTagInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.db.transaction(async (tx) => {
        await lockManagedPlugin(tx, ctx.identity, input.pluginId);
        const [removed] = await tx
          .delete(distTags)
          .where(and(eq(distTags.pluginId, input.pluginId), eq(distTags.tag, input.tag)))
          .returning();
        if (!removed) {
          throw new RegistryError("NOT_FOUND", `'${input.pluginId}' has no tag '${input.tag}'`);
        }
        recordChange(tx, "packages", input.pluginId);
        const latest = input.tag === LATEST_TAG ? await moveLatest(tx, input.pluginId) : undefined;
        if (latest) await ctx.updates.request({ pluginId: input.pluginId, version: latest });
        await recordAudit(tx, ctx, {
          action: "dist_tag.remove",
          resourceType: "plugin",
          resourceId: input.pluginId,
          details: { tag: input.tag, version: removed.version },
        });
        return { pluginId: input.pluginId, tag: input.tag, removedVersion: removed.version, latest };
      }),
    ),
});
