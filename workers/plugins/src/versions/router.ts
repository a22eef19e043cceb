import {
  blockedMarkerKey,
  blockInputSchema,
  bundleObjectKey,
  bundleUrlPath,
  deprecateInputSchema,
  versionRefSchema,
  yankInputSchema,
} from "@plugins/schema";
import { pluginVersions, versionFiles } from "@plugins/schema/tables";
import { and, asc, eq } from "drizzle-orm";
import { type AuditEntry, recordAudit } from "../audit/record";
import type { Transaction } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { versionListing } from "../plugins/listing";
import { lockManagedPlugin } from "../plugins/ownership";
import { recordChange } from "../read-models/changes";
import { recordInstancesOfVersion } from "../read-models/engine-instances";
import { refreshTenantManifests, tenantsRunning } from "../tenants/manifest";
import { assertGrantCovers } from "../tokens/publish-tokens";
import type { Context } from "../trpc/context";
import { grantableProcedure, publicProcedure, roleProcedure, router } from "../trpc/init";
import { untagVersion } from "./tags";

async function lockVersion(tx: Transaction, pluginId: string, version: string) {
  const [row] = await tx
    .select()
    .from(pluginVersions)
    .where(and(eq(pluginVersions.pluginId, pluginId), eq(pluginVersions.version, version)))
    .for("update");
  if (!row) throw new RegistryError("NOT_FOUND", `${pluginId}@${version} does not exist`);
  return row;
}

/** Runs a change to one version of a plugin the caller manages, audited in the same transaction. */
function changeVersion<T>(
  ctx: Context,
  ref: { pluginId: string; version: string },
  change: (
    tx: Transaction,
    version: Awaited<ReturnType<typeof lockVersion>>,
  ) => Promise<{ result: T; audit: AuditEntry }>,
): Promise<T> {
  return ctx.db.transaction(async (tx) => {
    await lockManagedPlugin(tx, ctx.identity, ref.pluginId);
    const version = await lockVersion(tx, ref.pluginId, ref.version);
    const { result, audit } = await change(tx, version);
    recordChange(tx, "packages", ref.pluginId);
    await recordAudit(tx, ctx, audit);
    return result;
  });
}

export const versionsRouter = router({
  /**
   * One version with every file and its integrity, as a mirror or an import map needs them, and
   * its listing fields (display name, readme, icon, links, keywords).
   */
  get: publicProcedure.input(versionRefSchema).query(async ({ ctx, input }) => {
    const version = await ctx.db.query.pluginVersions.findFirst({
      where: and(eq(pluginVersions.pluginId, input.pluginId), eq(pluginVersions.version, input.version)),
    });
    if (!version) throw new RegistryError("NOT_FOUND", `${input.pluginId}@${input.version} does not exist`);
    if (version.status === "blocked") {
      throw new RegistryError("GONE", `${input.pluginId}@${input.version} was blocked and is not available`);
    }
    const files = await ctx.db
      .select()
      .from(versionFiles)
      .where(and(eq(versionFiles.pluginId, input.pluginId), eq(versionFiles.version, input.version)))
      .orderBy(asc(versionFiles.path));
    return {
      ...version,
      ...versionListing(version),
      bundlePath: bundleUrlPath(version.pluginId, version.version, version.entry),
      files: files.map(({ pluginId: _p, version: _v, ...file }) => ({
        ...file,
        url: bundleUrlPath(input.pluginId, input.version, file.path),
      })),
    };
  }),

  /** Flags a version (still served and resolvable); an empty message lifts the flag. */
  deprecate: grantableProcedure("admin", "editor")
    .input(deprecateInputSchema)
    .mutation(({ ctx, input }) =>
      changeVersion(ctx, input, async (tx) => {
        assertGrantCovers(ctx, "deprecate", input.pluginId);
        const message = input.message || null;
        await tx
          .update(pluginVersions)
          .set({ deprecationMessage: message, deprecationReplacement: message ? (input.replacement ?? null) : null })
          .where(and(eq(pluginVersions.pluginId, input.pluginId), eq(pluginVersions.version, input.version)));
        await refreshTenantManifests(tx, ctx, await tenantsRunning(tx, input.pluginId, input.version));
        return {
          result: { pluginId: input.pluginId, version: input.version, deprecated: message !== null },
          audit: {
            action: message ? "plugin_version.deprecate" : "plugin_version.undeprecate",
            resourceType: "plugin_version",
            resourceId: `${input.pluginId}@${input.version}`,
            details: { message, replacement: input.replacement ?? null },
          },
        };
      }),
    ),

  /** No tag or range chooses a yanked version any more; its exact URL keeps serving. */
  yank: grantableProcedure("admin", "editor")
    .input(yankInputSchema)
    .mutation(({ ctx, input }) =>
      changeVersion(ctx, input, async (tx, version) => {
        assertGrantCovers(ctx, "yank", input.pluginId);
        if (version.status !== "published") {
          throw new RegistryError("CONFLICT", `${input.pluginId}@${input.version} is ${version.status}`);
        }
        await tx
          .update(pluginVersions)
          .set({ status: "yanked", statusReason: input.reason ?? null })
          .where(and(eq(pluginVersions.pluginId, input.pluginId), eq(pluginVersions.version, input.version)));
        const removedTags = await untagVersion(tx, input.pluginId, input.version);
        // Before the instances move off it: whichever stay, the engine stops running it at once.
        await recordInstancesOfVersion(tx, input.pluginId, input.version);
        // `latest` may have moved on; instances following it move with it, in a pass of the UPDATES queue.
        await ctx.updates.request({ pluginId: input.pluginId, version: input.version });
        return {
          result: { pluginId: input.pluginId, version: input.version, status: "yanked" as const, removedTags },
          audit: {
            action: "plugin_version.yank",
            resourceType: "plugin_version",
            resourceId: `${input.pluginId}@${input.version}`,
            details: { reason: input.reason ?? null, removedTags },
          },
        };
      }),
    ),

  /**
   * Malware: removes the bytes, answers 410 at every URL of the version, purges it from the
   * gateway's caches, and never resolves it again.
   */
  block: roleProcedure("admin")
    .input(blockInputSchema)
    .mutation(({ ctx, input }) =>
      changeVersion(ctx, input, async (tx, version) => {
        const purgeFromEdge = ctx.purgeFromEdge;
        if (!purgeFromEdge) {
          throw new RegistryError(
            "BAD_REQUEST",
            "versions.block cannot run over a streaming link: its cache purge rides on the answer's headers",
          );
        }
        if (version.status === "blocked") {
          throw new RegistryError("CONFLICT", `${input.pluginId}@${input.version} is already blocked`);
        }
        await tx
          .update(pluginVersions)
          .set({ status: "blocked", statusReason: input.reason })
          .where(and(eq(pluginVersions.pluginId, input.pluginId), eq(pluginVersions.version, input.version)));
        const files = await tx
          .select({ path: versionFiles.path })
          .from(versionFiles)
          .where(and(eq(versionFiles.pluginId, input.pluginId), eq(versionFiles.version, input.version)));
        const removedTags = await untagVersion(tx, input.pluginId, input.version);
        // Before the instances move off it: whichever stay, the engine stops running it at once.
        await recordInstancesOfVersion(tx, input.pluginId, input.version);
        // The manifests of tenants running it stop loading it at once and list it as withheld;
        // instances whose policy admits a newer version leave it in a pass of the UPDATES queue.
        await refreshTenantManifests(tx, ctx, await tenantsRunning(tx, input.pluginId, input.version));
        await ctx.updates.request({ pluginId: input.pluginId, version: input.version });
        // Inside the transaction on purpose: if the commit then fails, the bytes are already
        // gone and an admin blocks again; for malware, removal errs on the side of removing.
        // The marker goes first, so the bundle path answers 410 even before the deletes finish.
        await ctx.bucket.put(blockedMarkerKey(input.pluginId, input.version), input.reason);
        const keys = files.map((file) => bundleObjectKey(input.pluginId, input.version, file.path));
        // R2 deletes at most 1,000 keys per call.
        for (let start = 0; start < keys.length; start += 1000)
          await ctx.bucket.delete(keys.slice(start, start + 1000));
        purgeFromEdge(files.map((file) => bundleUrlPath(input.pluginId, input.version, file.path)));
        return {
          result: { pluginId: input.pluginId, version: input.version, status: "blocked" as const, removedTags },
          audit: {
            action: "plugin_version.block",
            resourceType: "plugin_version",
            resourceId: `${input.pluginId}@${input.version}`,
            details: { reason: input.reason, removedTags, files: files.length },
          },
        };
      }),
    ),
});
