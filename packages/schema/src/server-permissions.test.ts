import { describe, expect, it } from "vitest";
import { describeIssues } from "./issues";
import { pluginManifestSchema } from "./manifest";
import { MAX_STORAGE_QUOTA_BYTES, permissionLabels, serverPermissions } from "./server-permissions";

const FRONTEND = { id: "p", name: "P", version: "1.0.0", category: "c" };
const SERVER = { ...FRONTEND, kind: "source", server: "server.js" };

const STRUCTURED = {
  labels: ["clipboard"],
  network: { hosts: ["api.dropbox.com", "*.googleapis.com", "localhost:8787"] },
  storage: { quotaBytes: 1048576 },
  schedules: [{ name: "sync", cron: "*/15 * * * *" }],
  operations: [
    { name: "search", method: "GET", path: "/search" },
    { name: "documents", method: "*", path: "/documents/*" },
  ],
};

function problemOf(manifest: Record<string, unknown>): string | null {
  const parsed = pluginManifestSchema.safeParse(manifest);
  return parsed.success ? null : describeIssues(parsed.error.issues);
}

/** Manifests refused, each with what the message must contain: the field's path and the problem. */
const REFUSALS: Array<[Record<string, unknown>, string]> = [
  [{ ...FRONTEND, kind: "source" }, "server: is required with kind"],
  [{ ...FRONTEND, server: "server.js" }, "kind: is required with server"],
  [{ ...SERVER, kind: "widget" }, "kind: Invalid option"],
  [{ ...SERVER, server: "server.ts" }, "server: must be a JavaScript module"],
  [{ ...SERVER, server: "../server.js" }, "server: must be a relative path"],
  [
    { ...FRONTEND, permissions: { network: { hosts: ["api.example.com"] } } },
    "permissions.network: is granted to a server module",
  ],
  [{ ...FRONTEND, permissions: { storage: { quotaBytes: 1 } } }, "permissions.storage: is granted to a server module"],
  [{ ...FRONTEND, permissions: { schedules: [] } }, "permissions.schedules: is granted to a server module"],
  [{ ...FRONTEND, permissions: { operations: [] } }, "permissions.operations: is granted to a server module"],
  [{ ...FRONTEND, permissions: "clipboard" }, "permissions: must be a list of labels, or an object"],
  [{ ...FRONTEND, permissions: ["Clipboard"] }, "permissions.0: must be a lowercase name"],
  [{ ...FRONTEND, permissions: { labels: ["ok", "Not OK"] } }, "permissions.labels.1: must be a lowercase name"],
  [
    { ...SERVER, permissions: { network: { hosts: ["127.0.0.1"] } } },
    "permissions.network.hosts.0: must be a host name; IP addresses are not allowed",
  ],
  [
    { ...SERVER, permissions: { network: { hosts: ["a.example", "a.example"] } } },
    "permissions.network.hosts: must not name a host twice",
  ],
  [
    { ...SERVER, permissions: { network: { hosts: Array.from({ length: 51 }, (_, i) => `h${i}.example`) } } },
    "permissions.network.hosts: must list at most 50 hosts",
  ],
  [{ ...SERVER, permissions: { network: {} } }, "permissions.network.hosts: Invalid input: expected array"],
  [
    { ...SERVER, permissions: { storage: { quotaBytes: 0 } } },
    "permissions.storage.quotaBytes: must be at least 1 byte",
  ],
  [
    { ...SERVER, permissions: { storage: { quotaBytes: MAX_STORAGE_QUOTA_BYTES + 1 } } },
    "permissions.storage.quotaBytes: must be at most 104857600 bytes",
  ],
  [
    { ...SERVER, permissions: { storage: { quotaBytes: 1.5 } } },
    "permissions.storage.quotaBytes: must be a whole number",
  ],
  [
    { ...SERVER, permissions: { storage: { quotaBytes: 1, sql: "yes" } } },
    "permissions.storage.sql: must be true or false",
  ],
  [{ ...SERVER, permissions: { storage: { sql: true } } }, "permissions.storage.quotaBytes:"],
  [
    { ...FRONTEND, permissions: { storage: { quotaBytes: 1, sql: true } } },
    "permissions.storage: is granted to a server module",
  ],
  [
    { ...SERVER, permissions: { storage: { quotaBytes: 1, sql: true, tables: 3 } } },
    'permissions.storage: Unrecognized key: "tables"',
  ],
  [
    { ...SERVER, permissions: { schedules: [{ name: "sync", cron: "* * * * * *" }] } },
    "permissions.schedules.0.cron: must have 5 fields",
  ],
  [
    { ...SERVER, permissions: { schedules: [{ name: "sync", cron: "0 0 31 2 *" }] } },
    "permissions.schedules.0.cron: never runs",
  ],
  [
    { ...SERVER, permissions: { schedules: [{ name: "Sync", cron: "* * * * *" }] } },
    "permissions.schedules.0.name: must be a lowercase name",
  ],
  [
    {
      ...SERVER,
      permissions: {
        schedules: [
          { name: "a", cron: "* * * * *" },
          { name: "a", cron: "0 * * * *" },
        ],
      },
    },
    "permissions.schedules: must not name a schedule twice",
  ],
  [
    {
      ...SERVER,
      permissions: { schedules: Array.from({ length: 21 }, (_, i) => ({ name: `s${i}`, cron: "* * * * *" })) },
    },
    "permissions.schedules: must list at most 20 schedules",
  ],
  [
    { ...SERVER, permissions: { operations: [{ name: "a", method: "HEAD", path: "/" }] } },
    "permissions.operations.0.method: Invalid option",
  ],
  [
    { ...SERVER, permissions: { operations: [{ name: "a", method: "GET", path: "search" }] } },
    "permissions.operations.0.path: must be a path starting with '/'",
  ],
  [
    { ...SERVER, permissions: { operations: [{ name: "a", method: "GET", path: "/a/*/b" }] } },
    "permissions.operations.0.path: must be a path starting with '/'",
  ],
  [
    { ...SERVER, permissions: { operations: [{ name: "a", method: "GET", path: "/a/../b" }] } },
    "permissions.operations.0.path: must be a path starting with '/'",
  ],
  [
    { ...SERVER, permissions: { operations: [{ name: "a", method: "GET", path: "/a?b" }] } },
    "permissions.operations.0.path: must be a path starting with '/'",
  ],
  [
    {
      ...SERVER,
      permissions: {
        operations: [
          { name: "a", method: "GET", path: "/a" },
          { name: "a", method: "POST", path: "/b" },
        ],
      },
    },
    "permissions.operations: must not name an operation twice",
  ],
  [
    {
      ...SERVER,
      permissions: {
        operations: Array.from({ length: 101 }, (_, i) => ({ name: `o${i}`, method: "GET", path: `/o${i}` })),
      },
    },
    "permissions.operations: must list at most 100 operations",
  ],
  [{ ...SERVER, permissions: { hosts: ["a.example"] } }, 'permissions: Unrecognized key: "hosts"'],
];

describe("the manifest's server fields", () => {
  it("keeps a label list as it always was, and a manifest without permissions as an empty list", () => {
    expect(pluginManifestSchema.parse({ ...FRONTEND, permissions: ["clipboard"] }).permissions).toEqual(["clipboard"]);
    expect(pluginManifestSchema.parse(FRONTEND).permissions).toEqual([]);
    expect(pluginManifestSchema.parse(FRONTEND)).not.toHaveProperty("kind");
  });

  it("takes a kind, a server module and the structured form, stored as declared", () => {
    for (const kind of ["source", "agent", "integration"]) {
      const parsed = pluginManifestSchema.parse({ ...SERVER, kind, permissions: STRUCTURED });
      expect(parsed).toMatchObject({ kind, server: "server.js", permissions: STRUCTURED });
    }
    expect(pluginManifestSchema.parse({ ...FRONTEND, permissions: { labels: ["clipboard"] } }).permissions).toEqual({
      labels: ["clipboard"],
    });
  });

  it.each(REFUSALS.map(([manifest, problem]) => [problem, manifest] as const))(
    "refuses, naming the field: %s",
    (problem, manifest) => {
      expect(problemOf(manifest)).toContain(problem);
    },
  );

  it.each(["/", "/*", "/search", "/documents/*", "/a/b-c/d.e", "/v1/:id"])("accepts the operation path %j", (path) => {
    expect(problemOf({ ...SERVER, permissions: { operations: [{ name: "a", method: "GET", path }] } })).toBeNull();
  });
});

describe("serverPermissions and permissionLabels", () => {
  it("normalize the structured form", () => {
    const manifest = pluginManifestSchema.parse({ ...SERVER, permissions: STRUCTURED });
    expect(serverPermissions(manifest)).toEqual({
      labels: ["clipboard"],
      hosts: ["api.dropbox.com", "*.googleapis.com", "localhost:8787"],
      storageQuotaBytes: 1048576,
      storageSql: false,
      schedules: [{ name: "sync", cron: "*/15 * * * *" }],
      operations: STRUCTURED.operations,
    });
    expect(permissionLabels(manifest)).toEqual(["clipboard"]);
  });

  it("grant a label list its labels and nothing else", () => {
    const manifest = pluginManifestSchema.parse({ ...FRONTEND, permissions: ["clipboard", "notifications"] });
    expect(serverPermissions(manifest)).toEqual({
      labels: ["clipboard", "notifications"],
      hosts: [],
      storageQuotaBytes: null,
      storageSql: false,
      schedules: [],
      operations: [],
    });
    expect(permissionLabels(manifest)).toEqual(["clipboard", "notifications"]);
  });

  it("grant a SQL database only with storage.sql true", () => {
    const granted = pluginManifestSchema.parse({
      ...SERVER,
      permissions: { storage: { quotaBytes: 4096, sql: true } },
    });
    expect(serverPermissions(granted)).toMatchObject({ storageQuotaBytes: 4096, storageSql: true });
    const declined = pluginManifestSchema.parse({
      ...SERVER,
      permissions: { storage: { quotaBytes: 4096, sql: false } },
    });
    expect(serverPermissions(declined)).toMatchObject({ storageQuotaBytes: 4096, storageSql: false });
  });

  it("grant a structured form without a field none of it: no storage is null, not a quota", () => {
    const manifest = pluginManifestSchema.parse({ ...SERVER, permissions: {} });
    expect(serverPermissions(manifest)).toEqual({
      labels: [],
      hosts: [],
      storageQuotaBytes: null,
      storageSql: false,
      schedules: [],
      operations: [],
    });
    expect(permissionLabels({ permissions: [] })).toEqual([]);
  });
});
