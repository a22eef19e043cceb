import type { resealInputSchema } from "@plugins/schema";
import { installations } from "@plugins/schema/tables";
import { and, asc, eq, gt, inArray, isNotNull, sql } from "drizzle-orm";
import type { z } from "zod";
import { recordAudit } from "../audit/record";
import type { Context } from "../trpc/context";
import { secretBox } from "./secrets";

/**
 * Finishes a key rotation: seals again, under CONFIG_ENCRYPTION_KEY, up to `limit`
 * instances' secrets that a retired key sealed, across every tenant, from the id after
 * `after`. Call again with `after: next` until `next` is null, then, with `remaining` at 0,
 * drop the retired keys. A value that does not open is reported and left as it is;
 * `unopenable` counts values under keys that are configured neither as current nor retired.
 */
export async function resealSecrets(ctx: Context, input: z.output<typeof resealInputSchema>) {
  const box = await secretBox(ctx);
  const keyId = sql<string>`split_part(${installations.sealedSecrets}, '.', 2)`;
  const retired = box.retiredKeyIds;
  const underRetiredKey = retired.length > 0 ? inArray(keyId, retired) : sql`false`;
  return ctx.db.transaction(async (tx) => {
    const rows = await tx
      .select({
        id: installations.id,
        tenantId: installations.tenantId,
        instanceId: installations.instanceId,
        sealedSecrets: installations.sealedSecrets,
        keyId,
      })
      .from(installations)
      .where(and(underRetiredKey, input.after ? gt(installations.id, input.after) : undefined))
      .orderBy(asc(installations.id))
      .limit(input.limit)
      .for("update", { skipLocked: true });
    let resealed = 0;
    const unreadable: string[] = [];
    for (const row of rows) {
      const values = await box.open(row.sealedSecrets ?? "", row.id).catch(() => null);
      if (!values) {
        unreadable.push(row.id);
        continue;
      }
      await tx
        .update(installations)
        .set({ sealedSecrets: await box.seal(values, row.id) })
        .where(eq(installations.id, row.id));
      await recordAudit(tx, ctx, {
        action: "installation.reseal_secrets",
        resourceType: "installation",
        resourceId: row.id,
        tenantId: row.tenantId,
        details: { instanceId: row.instanceId, fromKey: row.keyId, toKey: box.sealingKeyId },
      });
      resealed += 1;
    }
    const [left] = await tx
      .select({
        remaining: sql<number>`count(*) filter (where ${underRetiredKey})`.mapWith(Number),
        unopenable:
          sql<number>`count(*) filter (where not (${underRetiredKey}) and ${keyId} <> ${box.sealingKeyId})`.mapWith(
            Number,
          ),
      })
      .from(installations)
      .where(isNotNull(installations.sealedSecrets));
    return {
      resealed,
      unreadable,
      next: rows.length === input.limit ? (rows.at(-1)?.id ?? null) : null,
      remaining: left?.remaining ?? 0,
      unopenable: left?.unopenable ?? 0,
    };
  });
}
