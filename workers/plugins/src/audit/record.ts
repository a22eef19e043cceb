import type { AuditResourceType, Grant } from "@plugins/schema";
import { auditLog, publishTokens } from "@plugins/schema/tables";
import { eq } from "drizzle-orm";
import type { Transaction } from "../lib/database";
import type { Context } from "../trpc/context";

export interface AuditEntry {
  action: string;
  resourceType: AuditResourceType;
  resourceId: string;
  tenantId?: string | null;
  details?: Record<string, unknown>;
}

/** Records a mutation inside the transaction that performs it, so neither exists without the other. */
export async function recordAudit(
  tx: Transaction,
  ctx: Pick<Context, "identity" | "request" | "grant">,
  entry: AuditEntry,
) {
  const via = ctx.grant ? await tokenUsed(tx, ctx.grant) : null;
  await tx.insert(auditLog).values({
    actorId: ctx.identity.sub,
    actorRole: ctx.identity.role,
    tenantId: entry.tenantId ?? null,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    details: via ? { ...entry.details, via } : (entry.details ?? {}),
    requestId: ctx.request.requestId,
    ip: ctx.request.ip,
    userAgent: ctx.request.userAgent,
  });
}

/**
 * Which publish token the caller used: the actor alone says whose, not which of their tokens.
 * Its id and name only, never the secret or its hash. The name is read here, not carried in
 * the grant, so the signed claims stay as they are.
 */
async function tokenUsed(tx: Transaction, grant: Grant): Promise<{ tokenId: string; tokenName: string | null }> {
  const [token] = await tx
    .select({ name: publishTokens.name })
    .from(publishTokens)
    .where(eq(publishTokens.id, grant.tokenId));
  return { tokenId: grant.tokenId, tokenName: token?.name ?? null };
}
