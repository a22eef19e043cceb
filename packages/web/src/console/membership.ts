import type { SessionUser } from "../session/bearer-token";

/** What the signed-in user may do in the console: read their tenant, and change it unless a viewer. */
export interface Membership {
  tenantId: string;
  canManage: boolean;
  /** Admins and editors read the audit log and hold publish tokens; viewers do not. */
  canAudit: boolean;
}

/** Null for a user of no tenant (a platform operator's token): the console is per tenant. */
export function membershipOf(user: SessionUser): Membership | null {
  if (!user.tenant) return null;
  const manager = user.role === "admin" || user.role === "editor";
  return { tenantId: user.tenant, canManage: manager, canAudit: manager };
}

/** Said wherever a viewer would otherwise find the buttons of a change. */
export const READ_ONLY_NOTE = "You are a viewer of this tenant: you can see everything here, and change nothing.";
