import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import {
  expectError,
  expectTrpcError,
  install,
  openSealed,
  pluginMetadata,
  present,
  publish,
  trpc,
  upload,
} from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let cast: Cast;

/** A required secret, an optional one, defaults (one nested), an enum; nothing else allowed. */
const FULL = {
  type: "object",
  properties: {
    apiToken: { type: "string", writeOnly: true, minLength: 1 },
    webhookSecret: { type: "string", writeOnly: true },
    port: { type: "integer", minimum: 1, maximum: 65535, default: 8080 },
    region: { type: "string", enum: ["eu", "us", "ap"] },
    retry: {
      type: "object",
      properties: { attempts: { type: "integer", minimum: 0, default: 3 } },
      additionalProperties: false,
      default: {},
    },
  },
  required: ["apiToken"],
  additionalProperties: false,
};

/** Only an optional secret, so every secret can be removed. */
const OPTIONAL = {
  type: "object",
  properties: { label: { type: "string" }, signingKey: { type: "string", writeOnly: true } },
  additionalProperties: false,
};

const secret = (name: string) => `${name}-${randomUUID()}`;

interface StoredRow {
  config: Record<string, unknown>;
  sealed_secrets: string | null;
  secrets_set: string[];
  revision: number;
  raw: string;
}

async function storedRow(id: string): Promise<StoredRow> {
  const { rows } = await stack.db.query<StoredRow>(
    `select config, sealed_secrets, secrets_set, revision, i::text as raw from installations i where id = $1`,
    [id],
  );
  return present(rows[0], `installation ${id}`);
}

async function instanceRow(tenantId: string, instanceId: string): Promise<StoredRow & { id: string }> {
  const { rows } = await stack.db.query<{ id: string }>(
    "select id from installations where tenant_id = $1 and instance_id = $2 and status <> 'uninstalled'",
    [tenantId, instanceId],
  );
  const id = present(rows[0], `instance ${tenantId}/${instanceId}`).id;
  return { id, ...(await storedRow(id)) };
}

/** Every table of the stack's database whose rows, as text, contain `needle`. */
async function tablesContaining(needle: string): Promise<string[]> {
  const { rows: tables } = await stack.db.query<{ name: string }>(
    "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
  );
  const found: string[] = [];
  for (const { name } of tables) {
    const { rows } = await stack.db.query<{ count: string }>(
      `select count(*) from "${name}" t where strpos(t::text, $1) > 0`,
      [needle],
    );
    if (Number(rows[0]?.count) > 0) found.push(name);
  }
  return found;
}

async function auditCount(): Promise<number> {
  const { rows } = await stack.db.query<{ count: string }>("select count(*) from audit_log");
  return Number(rows[0]?.count);
}

function restGet(path: string, token: string, tenant?: string): Promise<Response> {
  return fetch(`${stack.url}${path}`, {
    headers: { authorization: `Bearer ${token}`, ...(tenant ? { "x-tenant-id": tenant } : {}) },
  });
}

async function restInstall(token: string, tenant: string, body: Record<string, unknown>) {
  const response = await install(stack, token, tenant, body);
  const text = await response.text();
  expect(response.status, text).toBe(201);
  return { text, installation: JSON.parse(text) as { id: string; config: unknown; secretsSet: string[] } };
}

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  await publish(stack, cast.alice, pluginMetadata({ id: "cfg-full", version: "1.0.0", config: FULL }));
  await publish(stack, cast.alice, pluginMetadata({ id: "cfg-optional", version: "1.0.0", config: OPTIONAL }));
  await publish(stack, cast.alice, pluginMetadata({ id: "cfg-none", version: "1.0.0" }));
});
afterAll(() => stack?.stop());

describe("installing with a valid config", () => {
  const apiToken = secret("api-token");
  const webhookSecret = secret("webhook");
  const restToken = secret("rest-token");
  let installed: Awaited<ReturnType<ReturnType<typeof trpc>["installations"]["install"]["mutate"]>>;
  let rest: Awaited<ReturnType<typeof restInstall>>;

  beforeAll(async () => {
    installed = await trpc(stack, cast.alice).installations.install.mutate({
      tenantId: "acme",
      pluginId: "cfg-full",
      instanceId: "full",
      activate: true,
      config: { apiToken, webhookSecret, region: "eu" },
    });
    rest = await restInstall(cast.alice, "acme", {
      pluginId: "cfg-full",
      instanceId: "full-rest",
      activate: true,
      config: { apiToken: restToken, port: 443 },
    });
  });

  it("answers with the defaults applied and only the names of the secrets", () => {
    expect(installed).toMatchObject({
      instanceId: "full",
      status: "active",
      revision: 1,
      config: { port: 8080, region: "eu", retry: { attempts: 3 } },
      secretsSet: ["apiToken", "webhookSecret"],
    });
    expect(installed.config).toEqual({ port: 8080, region: "eu", retry: { attempts: 3 } });
    expect(installed).not.toHaveProperty("sealedSecrets");
    const text = JSON.stringify(installed);
    expect(text).not.toContain(apiToken);
    expect(text).not.toContain(webhookSecret);
  });

  it("answers a REST install the same way, without the secret", () => {
    expect(rest.installation).toMatchObject({
      config: { port: 443, retry: { attempts: 3 } },
      secretsSet: ["apiToken"],
    });
    expect(rest.installation.config).toEqual({ port: 443, retry: { attempts: 3 } });
    expect(rest.text).not.toContain(restToken);
    expect(rest.text).not.toContain("sealedSecrets");
  });

  it("stores the public config apart, and the secrets sealed to the row", async () => {
    const row = await storedRow(installed.id);
    expect(row.config).toEqual({ port: 8080, region: "eu", retry: { attempts: 3 } });
    expect(row.secrets_set).toEqual(["apiToken", "webhookSecret"]);
    const sealed = present(row.sealed_secrets, "sealed_secrets");
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    for (const value of [apiToken, webhookSecret]) {
      expect(row.raw).not.toContain(value);
      expect(sealed).not.toContain(value);
      expect(Buffer.from(sealed.split(".")[3] ?? "", "base64url").toString("latin1")).not.toContain(value);
    }
    expect(await openSealed(sealed, installed.id)).toEqual({ apiToken, webhookSecret });
    await expect(openSealed(sealed, rest.installation.id)).rejects.toThrow();
  });

  it("keeps the secrets out of every table: config, audit log, tenant manifest", async () => {
    for (const value of [apiToken, webhookSecret, restToken]) expect(await tablesContaining(value)).toEqual([]);
    const { rows } = await stack.db.query<{ details: string }>(
      "select details::text as details from audit_log where resource_id = any($1::text[])",
      [[installed.id, rest.installation.id]],
    );
    expect(rows).toHaveLength(2);
  });

  it("shows neither secret through installations.get or list, to an editor, a viewer or an admin", async () => {
    const sealed = present((await storedRow(installed.id)).sealed_secrets);
    for (const token of [cast.alice, cast.vera, cast.root]) {
      const api = trpc(stack, token);
      const one = await api.installations.get.query({ tenantId: "acme", instanceId: "full" });
      expect(one.config).toEqual({ port: 8080, region: "eu", retry: { attempts: 3 } });
      expect(one.secretsSet).toEqual(["apiToken", "webhookSecret"]);
      expect(one).not.toHaveProperty("sealedSecrets");
      const all = await api.installations.list.query({ tenantId: "acme", includeUninstalled: true });
      expect(all.map((instance) => instance.instanceId)).toEqual(expect.arrayContaining(["full", "full-rest"]));
      for (const text of [JSON.stringify(one), JSON.stringify(all)]) {
        for (const value of [apiToken, webhookSecret, restToken]) expect(text).not.toContain(value);
        expect(text).not.toContain("sealedSecrets");
        expect(text).not.toContain(sealed);
      }
    }
  });

  it("shows neither secret through REST status", async () => {
    for (const token of [cast.alice, cast.root]) {
      const response = await restGet("/api/plugins/status/full", token, "acme");
      const text = await response.text();
      expect(response.status, text).toBe(200);
      expect(JSON.parse(text)).toMatchObject({ secretsSet: ["apiToken", "webhookSecret"] });
      for (const value of [apiToken, webhookSecret]) expect(text).not.toContain(value);
      expect(text).not.toContain("sealedSecrets");
    }
  });

  it("shows neither secret in the audit log an admin reads", async () => {
    const log = await trpc(stack, cast.root).audit.list.query({ tenantId: "acme", limit: 200 });
    expect(log.items.map((entry) => entry.resourceId)).toEqual(
      expect.arrayContaining([installed.id, rest.installation.id]),
    );
    const text = JSON.stringify(log);
    for (const value of [apiToken, webhookSecret, restToken]) expect(text).not.toContain(value);
  });

  it("puts only the public config in the tenant manifest, over tRPC and REST, for a member and an admin", async () => {
    for (const token of [cast.alice, cast.vera, cast.root]) {
      const answer = await trpc(stack, token).manifests.get.query({ tenantId: "acme" });
      const manifest = present(answer.manifest, "manifest");
      const full = manifest.plugins.find((plugin) => plugin.instanceId === "full");
      expect(full?.config).toEqual({ port: 8080, region: "eu", retry: { attempts: 3 } });
      const response = await restGet("/api/tenants/acme/plugins/manifest", token);
      const text = await response.text();
      expect(response.status, text).toBe(200);
      const restFull = (JSON.parse(text) as typeof manifest).plugins.find((plugin) => plugin.instanceId === "full");
      expect(restFull?.config).toEqual({ port: 8080, region: "eu", retry: { attempts: 3 } });
      for (const serialized of [JSON.stringify(answer), text]) {
        for (const value of [apiToken, webhookSecret, restToken]) expect(serialized).not.toContain(value);
      }
    }
  });

  it("does not echo a secret in the error that refuses its config", async () => {
    const value = secret("refused");
    const before = await stack.snapshot();
    const message = await expectTrpcError(
      trpc(stack, cast.alice).installations.install.mutate({
        tenantId: "acme",
        pluginId: "cfg-full",
        instanceId: "refused",
        config: { apiToken: value, port: 0 },
      }),
      "BAD_REQUEST",
      400,
    );
    expect(message).toMatch(/^config\.port: /);
    expect(message).not.toContain(value);
    expect(await stack.snapshot()).toEqual(before);
    expect(await tablesContaining(value)).toEqual([]);
  });

  it("stores a secret as long as a config may be (64 KiB of JSON text in multi-byte characters)", async () => {
    // 60 000 characters pass the 64 KiB limit on the config's JSON text, and are 180 000 bytes of UTF-8.
    const long = "€".repeat(60_000);
    const result = await trpc(stack, cast.alice).installations.install.mutate({
      tenantId: "acme",
      pluginId: "cfg-full",
      instanceId: "long-secret",
      config: { apiToken: long },
    });
    expect(result.secretsSet).toEqual(["apiToken"]);
    const row = await storedRow(result.id);
    expect(await openSealed(present(row.sealed_secrets), result.id)).toEqual({ apiToken: long });
  });
});

describe("refusing an invalid config at install", () => {
  const cases = [
    ["a port out of range", { apiToken: "t", port: 70_000 }, [/^config\.port: /]],
    ["a port sent as text", { apiToken: "t", port: "8080" }, [/^config\.port: /]],
    ["a region outside the enum", { apiToken: "t", region: "mars" }, [/^config\.region: /]],
    ["a missing required secret", { port: 80 }, [/^config\.apiToken: is required$/]],
    ["an unknown field", { apiToken: "t", extra: 1 }, [/^config\.extra: is not a setting of this plugin$/]],
    [
      "a nested field of the wrong type",
      { apiToken: "t", retry: { attempts: "many" } },
      [/^config\.retry\.attempts: /],
    ],
    [
      "an unknown nested field",
      { apiToken: "t", retry: { backoff: 2 } },
      [/^config\.retry\.backoff: is not a setting of this plugin$/],
    ],
    [
      "everything at once",
      { port: 0, extra: true, retry: { attempts: -1 } },
      [
        /^config\.apiToken: is required$/,
        /^config\.port: /,
        /^config\.extra: is not a setting of this plugin$/,
        /^config\.retry\.attempts: /,
      ],
    ],
  ] as const;

  function expectProblems(message: string, expected: readonly RegExp[]) {
    const problems = message.split("; ");
    expect(problems, message).toHaveLength(expected.length);
    for (const pattern of expected) expect(problems, message).toContainEqual(expect.stringMatching(pattern));
  }

  it.each(cases)(
    "refuses %s over tRPC with BAD_REQUEST naming each field, storing nothing",
    async (_, config, expected) => {
      const before = await stack.snapshot();
      const audits = await auditCount();
      const message = await expectTrpcError(
        trpc(stack, cast.alice).installations.install.mutate({
          tenantId: "acme",
          pluginId: "cfg-full",
          instanceId: "invalid",
          config,
        }),
        "BAD_REQUEST",
        400,
      );
      expectProblems(message, expected);
      expect(await stack.snapshot()).toEqual(before);
      expect(await auditCount()).toBe(audits);
    },
  );

  it.each(cases)(
    "refuses %s over REST with a 400 envelope naming each field, storing nothing",
    async (_, config, expected) => {
      const before = await stack.snapshot();
      const response = await install(stack, cast.alice, "acme", {
        pluginId: "cfg-full",
        instanceId: "invalid",
        config,
      });
      expectProblems(await expectError(response, 400, "BAD_REQUEST"), expected);
      expect(await stack.snapshot()).toEqual(before);
    },
  );

  it("refuses an admin's install for a tenant the same way", async () => {
    const before = await stack.snapshot();
    const response = await install(stack, cast.root, "globex", {
      pluginId: "cfg-full",
      config: { apiToken: "t", extra: 1 },
    });
    expect(await expectError(response, 400, "BAD_REQUEST")).toBe("config.extra: is not a setting of this plugin");
    expect(await stack.snapshot()).toEqual(before);
  });
});

describe("configure", () => {
  const first = secret("first-token");
  const second = secret("second-token");
  const hook = secret("hook");
  let id: string;
  const api = () => trpc(stack, cast.alice).installations;
  const configure = (config: Record<string, unknown>, revision?: number) =>
    api().configure.mutate({ tenantId: "acme", instanceId: "conf", config, revision });

  /** What a refused configure must leave as it was. */
  async function unchanged<T>(call: () => Promise<T>): Promise<T> {
    const before = await storedRow(id);
    const audits = await auditCount();
    const snapshot = await stack.snapshot();
    const result = await call();
    expect(await storedRow(id)).toEqual(before);
    expect(await auditCount()).toBe(audits);
    expect(await stack.snapshot()).toEqual(snapshot);
    return result;
  }

  beforeAll(async () => {
    const installed = await api().install.mutate({
      tenantId: "acme",
      pluginId: "cfg-full",
      instanceId: "conf",
      activate: true,
      config: { apiToken: first, webhookSecret: hook, port: 9000, region: "eu" },
    });
    id = installed.id;
  });

  it("replaces the public config, keeps the secrets left out, and bumps the revision", async () => {
    const before = await storedRow(id);
    const updated = await configure({ port: 9001 });
    expect(updated.config).toEqual({ port: 9001, retry: { attempts: 3 } });
    expect(updated.secretsSet).toEqual(["apiToken", "webhookSecret"]);
    expect(updated.revision).toBe(before.revision + 1);
    const row = await storedRow(id);
    expect(row.config).toEqual({ port: 9001, retry: { attempts: 3 } });
    expect(row.sealed_secrets).not.toBe(before.sealed_secrets);
    expect(await openSealed(present(row.sealed_secrets), id)).toEqual({ apiToken: first, webhookSecret: hook });
    expect(JSON.stringify(updated)).not.toContain(first);
  });

  it("passes a later configure without the required secret, since the stored one is kept", async () => {
    const before = await storedRow(id);
    const updated = await configure({ region: "us" }, before.revision);
    expect(updated.config).toEqual({ port: 8080, region: "us", retry: { attempts: 3 } });
    expect(updated.revision).toBe(before.revision + 1);
    expect(await openSealed(present((await storedRow(id)).sealed_secrets), id)).toEqual({
      apiToken: first,
      webhookSecret: hook,
    });
  });

  it("replaces a secret sent anew, and never answers with it", async () => {
    const updated = await configure({ apiToken: second, region: "us" });
    expect(updated.secretsSet).toEqual(["apiToken", "webhookSecret"]);
    expect(JSON.stringify(updated)).not.toContain(second);
    const row = await storedRow(id);
    expect(row.raw).not.toContain(second);
    expect(await openSealed(present(row.sealed_secrets), id)).toEqual({ apiToken: second, webhookSecret: hook });
    expect(await tablesContaining(first)).toEqual([]);
    expect(await tablesContaining(second)).toEqual([]);
  });

  it("removes an optional secret sent as null: secretsSet shrinks", async () => {
    const updated = await configure({ webhookSecret: null, region: "us" });
    expect(updated.secretsSet).toEqual(["apiToken"]);
    const row = await storedRow(id);
    expect(row.secrets_set).toEqual(["apiToken"]);
    expect(await openSealed(present(row.sealed_secrets), id)).toEqual({ apiToken: second });
    const get = await api().get.query({ tenantId: "acme", instanceId: "conf" });
    expect(get.secretsSet).toEqual(["apiToken"]);
  });

  it("records field names and which secrets are set in the audit log, never values", async () => {
    const { rows } = await stack.db.query<{ details: Record<string, unknown>; text: string }>(
      "select details, details::text as text from audit_log where resource_id = $1 and action = 'installation.configure' order by id desc limit 1",
      [id],
    );
    const entry = present(rows[0], "configure audit entry");
    expect(entry.details).toEqual({
      instanceId: "conf",
      fields: ["port", "region", "retry"],
      secretsSet: ["apiToken"],
    });
    for (const value of [first, second, hook]) expect(entry.text).not.toContain(value);
  });

  it("refuses null for the required secret with BAD_REQUEST naming it, changing nothing", async () => {
    const message = await unchanged(() => expectTrpcError(configure({ apiToken: null }), "BAD_REQUEST", 400));
    expect(message).toBe("config.apiToken: is required");
  });

  it.each([
    ["a port of the wrong type", { port: "x" }, /^config\.port: /],
    ["an unknown field", { extra: 1 }, /^config\.extra: is not a setting of this plugin$/],
    ["a nested field out of range", { retry: { attempts: -1 } }, /^config\.retry\.attempts: /],
    ["a secret of the wrong type", { apiToken: 42 }, /^config\.apiToken: /],
  ])("refuses %s with BAD_REQUEST naming the field, changing nothing", async (_, config, pattern) => {
    const message = await unchanged(() => expectTrpcError(configure(config), "BAD_REQUEST", 400));
    expect(message).toMatch(pattern);
    expect(message.split("; ")).toHaveLength(1);
  });

  it("refuses a stale revision with CONFLICT, changing nothing", async () => {
    await unchanged(() => expectTrpcError(configure({ port: 1 }, 1), "CONFLICT", 409));
  });

  it("refuses a viewer, changing nothing", async () => {
    await unchanged(() =>
      expectTrpcError(
        trpc(stack, cast.vera).installations.configure.mutate({
          tenantId: "acme",
          instanceId: "conf",
          config: { port: 1 },
        }),
        "FORBIDDEN",
        403,
      ),
    );
  });

  it("clears the sealed column when the last secret is removed", async () => {
    const signingKey = secret("signing");
    const installed = await api().install.mutate({
      tenantId: "acme",
      pluginId: "cfg-optional",
      instanceId: "optional",
      config: { label: "a", signingKey },
    });
    expect(installed.secretsSet).toEqual(["signingKey"]);
    expect(installed.config).toEqual({ label: "a" });
    const kept = await api().configure.mutate({ tenantId: "acme", instanceId: "optional", config: { label: "b" } });
    expect(kept.secretsSet).toEqual(["signingKey"]);
    expect(await openSealed(present((await storedRow(installed.id)).sealed_secrets), installed.id)).toEqual({
      signingKey,
    });
    const removed = await api().configure.mutate({
      tenantId: "acme",
      instanceId: "optional",
      config: { label: "c", signingKey: null },
    });
    expect(removed).toMatchObject({ config: { label: "c" }, secretsSet: [], revision: 3 });
    const row = await storedRow(installed.id);
    expect(row.sealed_secrets).toBeNull();
    expect(row.secrets_set).toEqual([]);
    expect(await tablesContaining(signingKey)).toEqual([]);
  });
});

describe("uninstalling", () => {
  it("drops the sealed secrets: history keeps no credentials", async () => {
    const api = trpc(stack, cast.alice);
    const installed = await api.installations.install.mutate({
      tenantId: "acme",
      pluginId: "cfg-full",
      instanceId: "short-lived",
      config: { apiToken: secret("short-lived") },
    });
    expect(installed.secretsSet).toEqual(["apiToken"]);
    const gone = await api.installations.uninstall.mutate({ tenantId: "acme", instanceId: "short-lived" });
    expect(gone).toMatchObject({ status: "uninstalled", secretsSet: [] });
    const { rows } = await stack.db.query<{ sealed_secrets: string | null; secrets_set: string[] }>(
      "select sealed_secrets, secrets_set from installations where id = $1",
      [installed.id],
    );
    expect(rows).toEqual([{ sealed_secrets: null, secrets_set: [] }]);
  });
});

describe("a plugin without a config schema", () => {
  it("installs with an empty config", async () => {
    const installed = await trpc(stack, cast.alice).installations.install.mutate({
      tenantId: "acme",
      pluginId: "cfg-none",
      config: {},
    });
    expect(installed).toMatchObject({ config: {}, secretsSet: [] });
    expect((await storedRow(installed.id)).sealed_secrets).toBeNull();
  });

  it("refuses any field over tRPC and REST, naming it, storing nothing", async () => {
    const before = await stack.snapshot();
    const message = await expectTrpcError(
      trpc(stack, cast.alice).installations.install.mutate({
        tenantId: "acme",
        pluginId: "cfg-none",
        instanceId: "none-2",
        config: { colour: "red" },
      }),
      "BAD_REQUEST",
      400,
    );
    expect(message).toBe("config.colour: this plugin takes no configuration");
    const response = await install(stack, cast.alice, "acme", {
      pluginId: "cfg-none",
      instanceId: "none-3",
      config: { colour: "red", size: 2 },
    });
    expect(await expectError(response, 400, "BAD_REQUEST")).toBe(
      "config.colour: this plugin takes no configuration; config.size: this plugin takes no configuration",
    );
    expect(await stack.snapshot()).toEqual(before);
  });

  it("refuses a configure with a field, changing nothing", async () => {
    const before = await instanceRow("acme", "cfg-none");
    const message = await expectTrpcError(
      trpc(stack, cast.alice).installations.configure.mutate({
        tenantId: "acme",
        instanceId: "cfg-none",
        config: { colour: "red" },
      }),
      "BAD_REQUEST",
      400,
    );
    expect(message).toBe("config.colour: this plugin takes no configuration");
    expect(await instanceRow("acme", "cfg-none")).toEqual(before);
  });
});

describe("publishing a config schema that cannot work", () => {
  it.each([
    [
      "marks a field writeOnly below the top level",
      { type: "object", properties: { db: { type: "object", properties: { password: { writeOnly: true } } } } },
    ],
    ["has an unresolvable $ref at the top", { type: "object", $ref: "#/$defs/missing" }],
    ["has an unresolvable $ref under a property", { type: "object", properties: { url: { $ref: "#/$defs/missing" } } }],
    ["has a pattern that is no regular expression", { type: "object", properties: { host: { pattern: "(" } } }],
  ])("refuses a manifest whose config schema %s with 400 naming config, storing nothing", async (_, config) => {
    const before = await stack.snapshot();
    const response = await upload(stack, {
      token: cast.alice,
      metadata: pluginMetadata({ id: "cfg-broken", version: "1.0.0", config }),
    });
    expect(await expectError(response, 400, "BAD_REQUEST")).toMatch(/(^|; )metadata\.config: /);
    expect(await stack.snapshot()).toEqual(before);
  });
});

describe("a sealed value copied onto another instance", () => {
  const victimToken = secret("victim");
  const targetToken = secret("target");
  const foreignToken = secret("foreign");

  beforeAll(async () => {
    const alice = trpc(stack, cast.alice).installations;
    await alice.install.mutate({
      tenantId: "acme",
      pluginId: "cfg-full",
      instanceId: "victim",
      config: { apiToken: victimToken },
    });
    await alice.install.mutate({
      tenantId: "acme",
      pluginId: "cfg-full",
      instanceId: "target",
      config: { apiToken: targetToken },
    });
    await trpc(stack, cast.bob).installations.install.mutate({
      tenantId: "globex",
      pluginId: "cfg-full",
      instanceId: "foreign",
      config: { apiToken: foreignToken },
    });
    const victim = await instanceRow("acme", "victim");
    for (const [tenant, instance] of [
      ["acme", "target"],
      ["globex", "foreign"],
    ] as const) {
      const row = await instanceRow(tenant, instance);
      await stack.db.query("update installations set sealed_secrets = $1 where id = $2", [
        victim.sealed_secrets,
        row.id,
      ]);
    }
  });

  async function expectInternalError(call: Promise<unknown>) {
    const message = await expectTrpcError(call, "INTERNAL_SERVER_ERROR", 500);
    expect(message).toBe("Internal error");
  }

  it.each([
    ["another instance of the same tenant", "alice", "acme", "target"],
    ["an instance of another tenant", "bob", "globex", "foreign"],
  ] as const)(
    "does not open on %s: configure without the secret fails with a bare 500, changing nothing",
    async (_, who, tenantId, instanceId) => {
      const before = await instanceRow(tenantId, instanceId);
      const audits = await auditCount();
      await expectInternalError(
        trpc(stack, cast[who]).installations.configure.mutate({ tenantId, instanceId, config: { port: 1234 } }),
      );
      expect(await instanceRow(tenantId, instanceId)).toEqual(before);
      expect(await auditCount()).toBe(audits);
    },
  );

  it("activating does not open the secrets at all (the config was checked when stored), so it works", async () => {
    const response = await fetch(`${stack.url}/api/plugins/start/target`, {
      method: "POST",
      headers: { authorization: `Bearer ${cast.alice}`, "x-tenant-id": "acme" },
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const value of [victimToken, targetToken]) expect(text).not.toContain(value);
  });

  it("still shows the instance, without any secret", async () => {
    const target = await trpc(stack, cast.alice).installations.get.query({ tenantId: "acme", instanceId: "target" });
    expect(target).toMatchObject({ status: "active", secretsSet: ["apiToken"] });
    const text = JSON.stringify(target);
    for (const value of [victimToken, targetToken]) expect(text).not.toContain(value);
  });

  it("leaves the original instance working with its own secret", async () => {
    const victim = await trpc(stack, cast.alice).installations.configure.mutate({
      tenantId: "acme",
      instanceId: "victim",
      config: { port: 1234 },
    });
    expect(victim).toMatchObject({ config: { port: 1234, retry: { attempts: 3 } }, secretsSet: ["apiToken"] });
    const row = await instanceRow("acme", "victim");
    expect(await openSealed(present(row.sealed_secrets), row.id)).toEqual({ apiToken: victimToken });
  });
});
