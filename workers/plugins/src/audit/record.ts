import { auditLog } from "@plugins/schema";
import type { Transaction } from "../lib/database";
import type { Context } from "../trpc/context";

export interface AuditEntry {
  action: string;
  resourceType: "plugin" | "plugin_version" | "installation" | "publish_token" | "tenant_host";
  resourceId: string;
  tenantId?: string | null;
  details?: Record<string, unknown>;
}

/** Records a mutation inside the transaction that performs it, so neither exists without the other. */
export async function recordAudit(tx: Transaction, ctx: Pick<Context, "identity" | "request">, entry: AuditEntry) {
  await tx.insert(auditLog).values({
    actorId: ctx.identity.sub,
    actorRole: ctx.identity.role,
    tenantId: entry.tenantId ?? null,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    details: entry.details ?? {},
    requestId: ctx.request.requestId,
    ip: ctx.request.ip,
    userAgent: ctx.request.userAgent,
  });
}
