import { resignInputSchema } from "@plugins/schema";
import { pluginVersions } from "@plugins/schema/tables";
import { and, asc, eq, gt, isNull, ne, or, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record";
import { RegistryError } from "../lib/errors";
import { recordChange } from "../read-models/changes";
import { refreshTenantManifests, tenantsRunning } from "../tenants/manifest";
import { roleProcedure, router } from "../trpc/init";
import { signedFiles, signVersion } from "./sign-version";
import { currentSigningKey } from "./signing-keys";

export const signaturesRouter = router({
  /**
   * Signs again, with the key that signs now, one page of versions: those a key about to
   * expire signed (`signedBy`), or those never signed (`unsigned`: the backfill of versions
   * published before signing existed). Their package documents and the manifests of tenants
   * running them carry the new signatures once the page commits. Blocked versions are left
   * as they are: nothing serves them. Call again with `next` until it is null.
   */
  resign: roleProcedure("admin")
    .input(resignInputSchema)
    .mutation(async ({ ctx, input }) => {
      const now = new Date();
      const key = currentSigningKey(ctx.signingKeys, now);
      if (!key) throw new RegistryError("CONFLICT", "SIGNING_KEYS holds no key that signs now");
      if (input.signedBy === key.keyid) {
        throw new RegistryError("BAD_REQUEST", `signedBy: '${key.keyid}' is the key that signs now`);
      }
      return ctx.db.transaction(async (tx) => {
        const { cursor } = input;
        const page = await tx
          .select({
            pluginId: pluginVersions.pluginId,
            version: pluginVersions.version,
            integrity: pluginVersions.integrity,
          })
          .from(pluginVersions)
          .where(
            and(
              ne(pluginVersions.status, "blocked"),
              input.unsigned
                ? isNull(pluginVersions.signature)
                : sql`${pluginVersions.signature}->>'keyid' = ${input.signedBy}`,
              cursor
                ? or(
                    gt(pluginVersions.pluginId, cursor.pluginId),
                    and(eq(pluginVersions.pluginId, cursor.pluginId), gt(pluginVersions.version, cursor.version)),
                  )
                : undefined,
            ),
          )
          .orderBy(asc(pluginVersions.pluginId), asc(pluginVersions.version))
          .limit(input.limit)
          .for("update");
        const tenants: string[] = [];
        for (const row of page) {
          const files = await signedFiles(tx, row.pluginId, row.version);
          const signature = await signVersion(ctx.signingKeys, { ...row, files }, now);
          await tx
            .update(pluginVersions)
            .set({ signature })
            .where(and(eq(pluginVersions.pluginId, row.pluginId), eq(pluginVersions.version, row.version)));
          recordChange(tx, "packages", row.pluginId);
          tenants.push(...(await tenantsRunning(tx, row.pluginId, row.version)));
        }
        await refreshTenantManifests(tx, ctx, tenants);
        await recordAudit(tx, ctx, {
          action: "plugin_version.resign",
          resourceType: "signing_key",
          resourceId: input.signedBy ?? "unsigned",
          details: { signed: page.length, by: key.keyid },
        });
        const last = page.at(-1);
        return {
          signed: page.length,
          keyid: key.keyid,
          next: page.length === input.limit && last ? { pluginId: last.pluginId, version: last.version } : null,
        };
      });
    }),
});
