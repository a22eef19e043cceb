/**
 * Server-side plugins in the manifest: `kind` and `server` beside the browser entry, and the
 * structured `permissions` (hosts, storage, schedules, operations) next to the label list.
 * Published through the real stack; every refusal is a 400 naming its field, with nothing
 * stored and the plugin not created.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ArchiveFile, pluginFolder, publishFields, tarGz, uploadFields, utf8, zip } from "./archive-fixtures";
import { expectNothingChanged } from "./attack-helpers";
import { mintCast } from "./cast";
import { expectError, pluginMetadata, publish, sha256Hex, trpc, upload } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let alice: string;

beforeAll(async () => {
  stack = await startStack();
  alice = (await mintCast(stack)).alice;
});
afterAll(() => stack?.stop());

const SERVER_MODULE = `export default {\n  async fetch(request, env) {\n    return Response.json({ instance: env.PLUGIN.instanceId });\n  },\n};\n`;

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

/** A built server-side plugin: the browser folder, plus server.js. `manifest` overrides fields of plugin.json. */
function serverFolder(manifest: Record<string, unknown>): ArchiveFile[] {
  return [
    ...pluginFolder({ kind: "source", server: "server.js", ...manifest }),
    { path: "server.js", bytes: utf8(SERVER_MODULE) },
  ];
}

async function pluginRows(id: string) {
  const { rows } = await stack.db.query("select id from plugins where id = $1", [id]);
  return rows;
}

describe("a source plugin with the structured permissions", () => {
  const manifest = { id: "dropbox-source", kind: "source", server: "server.js", permissions: STRUCTURED };
  let published: Record<string, unknown>;

  beforeAll(async () => {
    published = await publishFields(stack, { token: alice, file: await tarGz(serverFolder(manifest)) });
  });

  it("publishes (201) and answers with its kind, server module and permissions as declared", () => {
    expect(published).toMatchObject({
      id: "dropbox-source",
      version: "1.0.0",
      status: "published",
      entry: "index.js",
      kind: "source",
      server: "server.js",
      permissions: STRUCTURED,
    });
  });

  it("stores the manifest so in plugin_versions and returns it from versions.get", async () => {
    const { rows } = await stack.db.query("select manifest from plugin_versions where plugin_id = 'dropbox-source'");
    expect(rows).toHaveLength(1);
    expect(rows[0].manifest).toMatchObject({ kind: "source", server: "server.js", permissions: STRUCTURED });
    const version = await trpc(stack).versions.get.query({ pluginId: "dropbox-source", version: "1.0.0" });
    expect(version.manifest).toMatchObject({ kind: "source", server: "server.js", permissions: STRUCTURED });
  });

  it("stores the server module as a file of the version, not as its entry", async () => {
    const object = await stack.bucket.get("dropbox-source/1.0.0/server.js");
    expect(await object?.text()).toBe(SERVER_MODULE);
    expect(object?.customMetadata).toEqual({});
    const { rows } = await stack.db.query(
      "select sha256 from version_files where plugin_id = 'dropbox-source' and path = 'server.js'",
    );
    expect(rows).toEqual([{ sha256: sha256Hex(SERVER_MODULE) }]);
  });

  it("publishes an agent from a zip with metadata beside it, and an integration with an entry of its own", async () => {
    const agent = { id: "chat-agent", kind: "agent", permissions: { storage: { quotaBytes: 4096 } } };
    const folder = serverFolder(agent);
    const plugin = JSON.parse(new TextDecoder().decode(folder[0]?.bytes)) as Record<string, unknown>;
    const answer = await publishFields(stack, { token: alice, file: await zip(folder), metadata: plugin });
    expect(answer).toMatchObject({ kind: "agent", server: "server.js", permissions: agent.permissions });

    const integration = serverFolder({ id: "hooks-integration", kind: "integration", entry: "chunks/a.js" });
    expect(await publishFields(stack, { token: alice, file: await tarGz(integration) })).toMatchObject({
      kind: "integration",
      entry: "chunks/a.js",
      server: "server.js",
    });
  });
});

describe("the label list of permissions", () => {
  it("still publishes, and is stored and answered as the same list", async () => {
    const metadata = pluginMetadata({ id: "legacy-labels", permissions: ["clipboard", "notifications"] });
    const answer = await publish(stack, alice, metadata);
    expect(answer.permissions).toEqual(["clipboard", "notifications"]);
    expect(answer).not.toHaveProperty("kind");
    expect(answer).not.toHaveProperty("server");
    const { rows } = await stack.db.query("select manifest from plugin_versions where plugin_id = 'legacy-labels'");
    expect(rows[0].manifest.permissions).toEqual(["clipboard", "notifications"]);
  });

  it("may be written as the object's labels by a frontend plugin, which needs no server", async () => {
    const file = await tarGz(pluginFolder({ id: "object-labels", permissions: { labels: ["clipboard"] } }));
    expect(await publishFields(stack, { token: alice, file })).toMatchObject({
      permissions: { labels: ["clipboard"] },
    });
  });
});

describe("refuses a manifest's server fields with a 400 naming the field, storing nothing", () => {
  async function expectRefused(id: string, send: () => Promise<Response>): Promise<string> {
    const message = await expectNothingChanged(stack, async () => expectError(await send(), 400, "BAD_REQUEST"));
    expect(await pluginRows(id)).toEqual([]);
    return message;
  }

  const refuseArchive = (id: string, files: ArchiveFile[]) =>
    expectRefused(id, async () => uploadFields(stack, { token: alice, file: await tarGz(files) }));

  it.each<[string, Record<string, unknown>, string]>([
    ["kind-alone", { kind: "source" }, "plugin.json.server: is required with kind"],
    ["server-alone", { server: "server.js" }, "plugin.json.kind: is required with server"],
    ["unknown-kind", { kind: "widget", server: "server.js" }, "plugin.json.kind: Invalid option"],
    ["ts-server", { kind: "source", server: "server.ts" }, "plugin.json.server: must be a JavaScript module"],
    [
      "hosts-frontend",
      { permissions: { network: { hosts: ["api.example.com"] } } },
      "plugin.json.permissions.network: is granted to a server module",
    ],
    [
      "storage-frontend",
      { permissions: { storage: { quotaBytes: 1024 } } },
      "plugin.json.permissions.storage: is granted to a server module",
    ],
    [
      "schedules-frontend",
      { permissions: { schedules: [{ name: "sync", cron: "* * * * *" }] } },
      "plugin.json.permissions.schedules: is granted to a server module",
    ],
    [
      "operations-frontend",
      { permissions: { operations: [{ name: "search", method: "GET", path: "/search" }] } },
      "plugin.json.permissions.operations: is granted to a server module",
    ],
  ])("refuses %s: %j (%s)", async (id, fields, message) => {
    const files = [...pluginFolder({ id, ...fields }), { path: "server.js", bytes: utf8(SERVER_MODULE) }];
    expect(await refuseArchive(id, files)).toContain(message);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      "loopback-host",
      { network: { hosts: ["127.0.0.1:8787"] } },
      "plugin.json.permissions.network.hosts.0: must be a host name; IP addresses are not allowed",
    ],
    [
      "metadata-host",
      { network: { hosts: ["api.example.com", "[fd00::1]"] } },
      "plugin.json.permissions.network.hosts.1: must be a host name; IP addresses are not allowed",
    ],
    [
      "scheme-host",
      { network: { hosts: ["https://api.example.com"] } },
      "plugin.json.permissions.network.hosts.0: must be a host name without a scheme",
    ],
    [
      "upper-host",
      { network: { hosts: ["API.example.com"] } },
      "plugin.json.permissions.network.hosts.0: must be lowercase",
    ],
    [
      "wild-host",
      { network: { hosts: ["api.*.example.com"] } },
      "plugin.json.permissions.network.hosts.0: may have a wildcard only as its leftmost label",
    ],
    [
      "twice-host",
      { network: { hosts: ["api.example.com", "api.example.com"] } },
      "plugin.json.permissions.network.hosts: must not name a host twice",
    ],
    [
      "huge-storage",
      { storage: { quotaBytes: 100 * 1024 * 1024 + 1 } },
      "plugin.json.permissions.storage.quotaBytes: must be at most 104857600 bytes",
    ],
    [
      "seconds-cron",
      { schedules: [{ name: "sync", cron: "*/10 * * * * *" }] },
      "plugin.json.permissions.schedules.0.cron: must have 5 fields",
    ],
    [
      "bad-cron",
      { schedules: [{ name: "sync", cron: "61 * * * *" }] },
      "plugin.json.permissions.schedules.0.cron: is not a valid cron expression",
    ],
    [
      "twice-schedule",
      {
        schedules: [
          { name: "sync", cron: "* * * * *" },
          { name: "sync", cron: "0 * * * *" },
        ],
      },
      "plugin.json.permissions.schedules: must not name a schedule twice",
    ],
    [
      "bad-method",
      { operations: [{ name: "search", method: "TRACE", path: "/search" }] },
      "plugin.json.permissions.operations.0.method: Invalid option",
    ],
    [
      "bad-path",
      { operations: [{ name: "search", method: "GET", path: "search/*/x" }] },
      "plugin.json.permissions.operations.0.path: must be a path starting with '/'",
    ],
    ["unknown-field", { sockets: true }, 'plugin.json.permissions: Unrecognized key: "sockets"'],
  ])("refuses %s: permissions %j (%s)", async (id, permissions, message) => {
    expect(await refuseArchive(id, serverFolder({ id, permissions }))).toContain(message);
  });

  it("a server module that is not a file of the bundle", async () => {
    const files = serverFolder({ id: "missing-server", server: "dist/server.js" });
    expect(await refuseArchive("missing-server", files)).toBe('server: "dist/server.js" is not a file of the bundle');
  });

  it("a server module that is the entry, named or by default", async () => {
    const named = serverFolder({ id: "entry-server", entry: "server.js" });
    expect(await refuseArchive("entry-server", named)).toBe(
      'server: "server.js" is the entry; the server module must be another file of the bundle',
    );
    const byDefault = serverFolder({ id: "default-entry-server", server: "index.js" });
    expect(await refuseArchive("default-entry-server", byDefault)).toMatch(/^server: "index\.js" is the entry;/);
  });

  it("a single file declaring a server module, which can only be its entry or missing", async () => {
    const metadata = pluginMetadata({ id: "single-server", kind: "source", server: "server.js" });
    expect(await expectRefused("single-server", () => upload(stack, { token: alice, metadata }))).toBe(
      'server: "server.js" is not a file of the bundle',
    );
    const asEntry = pluginMetadata({ id: "single-entry-server", kind: "agent", server: "bundle.js" });
    expect(
      await expectRefused("single-entry-server", () => upload(stack, { token: alice, metadata: asEntry })),
    ).toMatch(/^server: "bundle\.js" is the entry;/);
  });

  it("metadata beside an archive that disagrees with plugin.json on the server fields", async () => {
    const folder = serverFolder({ id: "disagreeing-kind", permissions: STRUCTURED });
    const plugin = JSON.parse(new TextDecoder().decode(folder[0]?.bytes)) as Record<string, unknown>;
    const differing: Array<[Record<string, unknown>, string]> = [
      [{ kind: "agent" }, "kind"],
      [{ server: "chunks/a.js" }, "server"],
      [{ permissions: { ...STRUCTURED, storage: { quotaBytes: 1 } } }, "permissions"],
    ];
    const archive = await tarGz(folder);
    for (const [change, field] of differing) {
      const message = await expectRefused("disagreeing-kind", () =>
        uploadFields(stack, { token: alice, file: archive, metadata: { ...plugin, ...change } }),
      );
      expect(message).toMatch(new RegExp(`^metadata\\.${field}: differs from plugin\\.json`));
    }
  });
});
