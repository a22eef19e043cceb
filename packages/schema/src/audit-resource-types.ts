/**
 * What an audit entry is about; `resourceId` is that resource's id (an installation's uuid, a
 * plugin id...). A module of its own, without zod, so the browser can read the list without
 * building the schemas: zod's first schemas probe for `new Function`, which a strict CSP reports.
 */
export const AUDIT_RESOURCE_TYPES = [
  "plugin",
  "plugin_version",
  "installation",
  "publish_token",
  "tenant_host",
  "tenant_policy",
  "signing_key",
] as const;
export type AuditResourceType = (typeof AUDIT_RESOURCE_TYPES)[number];
