import { type AuditFilters, auditListInputSchema } from "@plugins/schema";
import { auditLog } from "@plugins/schema/tables";
import { and, desc, eq, like, lt, type SQL, sql } from "drizzle-orm";
import { RegistryError } from "../lib/errors";
import { assertTenantMember, roleProcedure, router } from "../trpc/init";
import { decodeAuditCursor, encodeAuditCursor } from "./audit-cursor";

export const auditRouter = router({
  /**
   * The audit log, newest first, a page at a time, optionally filtered (all filters apply
   * together). Admins read any tenant's entries (or all of them); an editor reads its own
   * tenant's; another tenant's answers 404 whatever the caller's role, and a viewer of the
   * tenant gets 403.
   */
  list: roleProcedure("admin", "editor", "viewer")
    .input(auditListInputSchema)
    .query(async ({ ctx, input }) => {
      const { identity } = ctx;
      const tenantId = identity.role === "admin" ? input.tenantId : (input.tenantId ?? identity.tenant ?? undefined);
      if (identity.role !== "admin") {
        if (tenantId === undefined) {
          throw new RegistryError("FORBIDDEN", "You belong to no tenant, so there is no audit log to read");
        }
        assertTenantMember(identity, tenantId);
        if (identity.role === "viewer") {
          throw new RegistryError("FORBIDDEN", "Role 'viewer' may not do this; it needs admin or editor");
        }
      }
      const { cursor, limit, ...asked } = input;
      const filters: AuditFilters = { ...asked, tenantId };
      const after = cursor === undefined ? undefined : await decodeAuditCursor(cursor, filters);
      const rows = await ctx.db
        .select()
        .from(auditLog)
        .where(and(...matching(filters), after === undefined ? undefined : lt(auditLog.id, after)))
        .orderBy(desc(auditLog.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page,
        nextCursor: rows.length > limit && last ? await encodeAuditCursor(last.id, filters) : null,
      };
    }),
});

/** The conditions of the filters given; the indexes of `audit_log` serve each with the tenant. */
function matching(filters: AuditFilters): Array<SQL | undefined> {
  const { tenantId, action, resourceType, resourceId, actor, since, until } = filters;
  return [
    tenantId === undefined ? undefined : eq(auditLog.tenantId, tenantId),
    action === undefined ? undefined : actionMatches(action),
    resourceType === undefined ? undefined : eq(auditLog.resourceType, resourceType),
    resourceId === undefined ? undefined : eq(auditLog.resourceId, resourceId),
    actor === undefined ? undefined : eq(auditLog.actorId, actor),
    // Compared in Postgres, so a timestamp's microseconds count (a JavaScript Date keeps milliseconds).
    since === undefined ? undefined : sql`${auditLog.occurredAt} >= ${since}::timestamptz`,
    until === undefined ? undefined : sql`${auditLog.occurredAt} < ${until}::timestamptz`,
  ];
}

/** `installation.upgrade` is that action; `installation.` every action of the kind (`_` is a LIKE wildcard). */
function actionMatches(action: string): SQL {
  return action.endsWith(".")
    ? like(auditLog.action, `${action.replaceAll("_", "\\_")}%`)
    : eq(auditLog.action, action);
}
