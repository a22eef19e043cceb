import { z } from "zod";
import { cronProblem } from "./cron";
import { outboundHostSchema } from "./outbound-hosts";
import { labelSchema } from "./plugins";

/*
 * A manifest's `permissions`: a list of labels (what a frontend plugin asks its host for, as
 * always), or an object that adds the capabilities a server module is given: the hosts it
 * may call, per-instance storage with a quota, scheduled tasks and the operations it serves.
 */

/** The largest per-instance storage a manifest may ask for: 100 MiB. */
export const MAX_STORAGE_QUOTA_BYTES = 100 * 1024 * 1024;

export const OPERATION_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "*"] as const;

const permissionLabelsSchema = z.array(labelSchema).max(50, "must list at most 50 labels");

/** Whether no two items share a key. */
function uniqueBy<T>(key: (item: T) => string) {
  return (items: readonly T[]) => new Set(items.map(key)).size === items.length;
}

const scheduleSchema = z.strictObject({
  name: labelSchema,
  cron: z
    .string()
    .max(100)
    .superRefine((cron, ctx) => {
      const problem = cronProblem(cron);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
});
export type Schedule = z.infer<typeof scheduleSchema>;

/** A path segment: RFC 3986 path characters, no percent-encoding (a path is compared as written), never "." or "..". */
const SEGMENT = "(?!\\.\\.?(?:/|$))[A-Za-z0-9._~!$&'()+,;=:@-]+";
/** "/", or segments each after a "/", optionally ending in "/*", which matches every path under it. */
const OPERATION_PATH = new RegExp(`^(?:/|(?:/${SEGMENT})*(?:/\\*)?)$`);

const operationSchema = z.strictObject({
  name: labelSchema,
  method: z.enum(OPERATION_METHODS),
  path: z
    .string()
    .min(1)
    .max(200)
    .regex(
      OPERATION_PATH,
      "must be a path starting with '/' (plain segments, no '.' or '..'), optionally ending in '/*'",
    ),
});
export type Operation = z.infer<typeof operationSchema>;

const structuredPermissionsSchema = z.strictObject({
  labels: permissionLabelsSchema.optional(),
  network: z
    .strictObject({
      hosts: z
        .array(outboundHostSchema)
        .max(50, "must list at most 50 hosts")
        .refine(
          uniqueBy((host: string) => host),
          { message: "must not name a host twice" },
        ),
    })
    .optional(),
  storage: z
    .strictObject({
      quotaBytes: z
        .number()
        .int("must be a whole number of bytes")
        .min(1, "must be at least 1 byte")
        .max(MAX_STORAGE_QUOTA_BYTES, `must be at most ${MAX_STORAGE_QUOTA_BYTES} bytes (100 MiB)`),
      /** A SQLite database of the instance's own as well (`env.SQL`), within the same quotaBytes. */
      sql: z.boolean({ error: "must be true or false" }).optional(),
    })
    .optional(),
  schedules: z
    .array(scheduleSchema)
    .max(20, "must list at most 20 schedules")
    .refine(
      uniqueBy((schedule: Schedule) => schedule.name),
      { message: "must not name a schedule twice" },
    )
    .optional(),
  operations: z
    .array(operationSchema)
    .max(100, "must list at most 100 operations")
    .refine(
      uniqueBy((operation: Operation) => operation.name),
      { message: "must not name an operation twice" },
    )
    .optional(),
});

/** The structured fields that give a server module a capability, and so need one. */
export const SERVER_CAPABILITIES = ["network", "storage", "schedules", "operations"] as const;

export type ManifestPermissions = z.infer<typeof permissionLabelsSchema> | z.infer<typeof structuredPermissionsSchema>;

/**
 * `permissions` in either form. Chosen by shape, not by a union, so that a mistake deep in the
 * object is named where it sits rather than as "no form matched".
 */
export const manifestPermissionsSchema = z
  .unknown()
  .transform((value, ctx): ManifestPermissions => {
    const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
    if (!Array.isArray(value) && !isObject) {
      ctx.addIssue({
        code: "custom",
        message: "must be a list of labels, or an object with labels, network, storage, schedules and operations",
      });
      return z.NEVER;
    }
    const parsed = (isObject ? structuredPermissionsSchema : permissionLabelsSchema).safeParse(value);
    if (parsed.success) return parsed.data;
    for (const { path, message } of parsed.error.issues) ctx.addIssue({ code: "custom", path, message });
    return z.NEVER;
  })
  // The label list's default, so that a manifest without permissions is stored as it always was.
  .default([]);

/** What a server module is granted, from either form of `permissions`. */
export interface ServerPermissions {
  labels: string[];
  hosts: string[];
  /** null: the manifest declares no storage, and the instance gets none. */
  storageQuotaBytes: number | null;
  /** Whether the instance also gets a SQL database (`storage.sql`); never without storage. */
  storageSql: boolean;
  schedules: Schedule[];
  operations: Operation[];
}

/** The normalized structured form of a manifest's permissions (a label list grants labels only). */
export function serverPermissions(manifest: { permissions: ManifestPermissions }): ServerPermissions {
  const { permissions } = manifest;
  if (Array.isArray(permissions)) {
    return {
      labels: permissions,
      hosts: [],
      storageQuotaBytes: null,
      storageSql: false,
      schedules: [],
      operations: [],
    };
  }
  return {
    labels: permissions.labels ?? [],
    hosts: permissions.network?.hosts ?? [],
    storageQuotaBytes: permissions.storage?.quotaBytes ?? null,
    storageSql: permissions.storage?.sql === true,
    schedules: permissions.schedules ?? [],
    operations: permissions.operations ?? [],
  };
}

/** The permission labels of a manifest, whichever form its `permissions` take. */
export function permissionLabels(manifest: { permissions: ManifestPermissions }): string[] {
  return serverPermissions(manifest).labels;
}
