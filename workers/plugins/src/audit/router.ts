import { auditListInputSchema } from "@plugins/schema";
import { auditLog } from "@plugins/schema/tables";
import { and, desc, eq, lt } from "drizzle-orm";
import { RegistryError } from "../lib/errors";
import { assertTenantMember, roleProcedure, router } from "../trpc/init";

export const auditRouter = router({
  /**
   * The audit log, newest first, a page at a time. Admins read any tenant's entries (or
   * all of them); an editor reads its own tenant's; another tenant's answers 404 whatever
   * the caller's role, and a viewer of the tenant gets 403.
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
      const rows = await ctx.db
        .select()
        .from(auditLog)
        .where(
          and(
            tenantId === undefined ? undefined : eq(auditLog.tenantId, tenantId),
            input.cursor === undefined ? undefined : lt(auditLog.id, input.cursor),
          ),
        )
        .orderBy(desc(auditLog.id))
        .limit(input.limit + 1);
      const page = rows.slice(0, input.limit);
      return { items: page, nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null };
    }),
});
