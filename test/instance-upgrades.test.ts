import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import {
  expectError,
  expectTrpcError,
  install,
  multipartForm,
  openSealed,
  pluginMetadata,
  present,
  trpc,
  trpcError,
} from "./helpers";
import { type Stack, startStack } from "./stack";
import { followed, publishFollowed } from "./update-passes";

let stack: Stack;
/**
 * From the cast: root blocks versions and acts for any tenant; alice publishes every plugin
 * here and edits acme (which registers no host); vera views acme; bob edits globex.
 */
let cast: Cast;
const tokens = {
  /** Editor of hosted, the tenant whose host is registered. */
  hana: "",
  hostedViewer: "",
  /** Editor of shifting, whose host changes under a running instance. */
  sam: "",
  /** Editor of policy, whose instances follow updates. */
  pia: "",
  policyViewer: "",
};

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  tokens.hana = await stack.token({ sub: "hana", role: "editor", tenant: "hosted" });
  tokens.hostedViewer = await stack.token({ sub: "hugo", role: "viewer", tenant: "hosted" });
  tokens.sam = await stack.token({ sub: "sam", role: "editor", tenant: "shifting" });
  tokens.pia = await stack.token({ sub: "pia", role: "editor", tenant: "policy" });
  tokens.policyViewer = await stack.token({ sub: "paul", role: "viewer", tenant: "policy" });
});
afterAll(() => stack?.stop());

/** Publishes as alice, every manifest field valid unless overridden. */
async function release(id: string, version: string, overrides: Record<string, unknown> = {}) {
  return publishFollowed(stack, cast.alice, pluginMetadata({ id, version, ...overrides }));
}

/** Publishes as alice with a dist-tag besides `latest` (the `tag` form field). */
async function releaseTagged(id: string, version: string, tag: string, overrides: Record<string, unknown> = {}) {
  const metadata = pluginMetadata({ id, version, ...overrides });
  const form = multipartForm({ metadata, file: `export default ${JSON.stringify(metadata)};` });
  form.set("tag", tag);
  await followed(stack, id, async () => {
    const response = await fetch(`${stack.url}/api/plugins/upload`, {
      method: "POST",
      body: form,
      headers: { authorization: `Bearer ${cast.alice}` },
    });
    const body = await response.text();
    expect(response.status, body).toBe(201);
  });
}

interface InstanceRow {
  id: string;
  version: string;
  previous_version: string | null;
  update_policy: string;
  status: string;
  revision: number;
  config: Record<string, unknown>;
  sealed_secrets: string | null;
  secrets_set: string[];
  updated_at: Date;
}

/** The live row of an instance, every column the tests look at. */
async function row(tenantId: string, instanceId: string): Promise<InstanceRow> {
  const { rows } = await stack.db.query<InstanceRow>(
    `select id, version, previous_version, update_policy, status, revision, config, sealed_secrets, secrets_set, updated_at
       from installations where tenant_id = $1 and instance_id = $2 and status <> 'uninstalled'`,
    [tenantId, instanceId],
  );
  expect(rows, `${tenantId}/${instanceId}`).toHaveLength(1);
  return present(rows[0]);
}

/** The versions a tenant's instances run, by instance id. */
async function versionsOf(tenantId: string, instanceIds: string[]): Promise<Record<string, string>> {
  const { rows } = await stack.db.query<{ instance_id: string; version: string }>(
    "select instance_id, version from installations where tenant_id = $1 and instance_id = any($2) and status <> 'uninstalled'",
    [tenantId, instanceIds],
  );
  return Object.fromEntries(rows.map((entry) => [entry.instance_id, entry.version]));
}

interface AuditRow {
  action: string;
  actor_id: string;
  tenant_id: string | null;
  details: Record<string, unknown>;
}

/** An instance's audit entries, oldest first. */
async function auditOf(installationId: string, actions?: string[]): Promise<AuditRow[]> {
  const { rows } = await stack.db.query<AuditRow>(
    `select action, actor_id, tenant_id, details from audit_log
      where resource_type = 'installation' and resource_id = $1 and ($2::text[] is null or action = any($2))
      order by id`,
    [installationId, actions ?? null],
  );
  return rows;
}

/** Everything a refused call must leave alone: the row itself, and how many rows each table holds. */
async function state(tenantId: string, instanceId: string) {
  return { row: await row(tenantId, instanceId), counts: await stack.snapshot() };
}

describe("upgrading and rolling back an instance", () => {
  const client = () => trpc(stack, cast.alice);
  const ref = { tenantId: "acme", instanceId: "shelf" };
  let id: string;

  beforeAll(async () => {
    for (const version of ["1.0.0", "1.1.0", "1.2.0", "2.0.0"]) await release("shelf", version);
    await client().tags.set.mutate({ pluginId: "shelf", tag: "stable", version: "1.1.0" });
    const installed = await client().installations.install.mutate({ ...ref, pluginId: "shelf", version: "1.1.0" });
    id = installed.id;
    expect(installed).toMatchObject({ version: "1.1.0", previousVersion: null, revision: 1 });
  });

  it("refuses to roll back an instance that was never upgraded (CONFLICT), changing nothing", async () => {
    const before = await state("acme", "shelf");
    const message = await expectTrpcError(client().installations.rollback.mutate(ref), "CONFLICT", 409);
    expect(message).toBe("Instance 'shelf' has no version to roll back to");
    expect(await state("acme", "shelf")).toEqual(before);
  });

  it("upgrades to a higher exact version: previousVersion set, revision bumped, audited with from and to", async () => {
    const upgraded = await client().installations.upgrade.mutate({ ...ref, version: "2.0.0" });
    expect(upgraded).toMatchObject({
      id,
      version: "2.0.0",
      previousVersion: "1.1.0",
      revision: 2,
      status: "installed",
    });
    expect(upgraded).not.toHaveProperty("sealedSecrets");
    expect(await row("acme", "shelf")).toMatchObject({ version: "2.0.0", previous_version: "1.1.0", revision: 2 });
    expect(await auditOf(id, ["installation.upgrade"])).toEqual([
      {
        action: "installation.upgrade",
        actor_id: "alice",
        tenant_id: "acme",
        details: { instanceId: "shelf", from: "1.1.0", to: "2.0.0" },
      },
    ]);
  });

  it("moves to a lower version through a range (~1.0.0 → 1.0.0)", async () => {
    const moved = await client().installations.upgrade.mutate({ ...ref, version: "~1.0.0" });
    expect(moved).toMatchObject({ version: "1.0.0", previousVersion: "2.0.0", revision: 3 });
    const audit = await auditOf(id, ["installation.upgrade"]);
    expect(audit.at(-1)?.details).toEqual({ instanceId: "shelf", from: "2.0.0", to: "1.0.0" });
  });

  it("moves by tag, up to latest and down to another tag", async () => {
    const up = await client().installations.upgrade.mutate({ ...ref, version: "latest" });
    expect(up).toMatchObject({ version: "2.0.0", previousVersion: "1.0.0", revision: 4 });
    const down = await client().installations.upgrade.mutate({ ...ref, version: "stable" });
    expect(down).toMatchObject({ version: "1.1.0", previousVersion: "2.0.0", revision: 5 });
    const audit = await auditOf(id, ["installation.upgrade"]);
    expect(audit.slice(-2).map((entry) => entry.details)).toEqual([
      { instanceId: "shelf", from: "1.0.0", to: "2.0.0" },
      { instanceId: "shelf", from: "2.0.0", to: "1.1.0" },
    ]);
  });

  it("rolls back to previousVersion, audited as installation.rollback; a second rollback undoes the first", async () => {
    const back = await client().installations.rollback.mutate(ref);
    expect(back).toMatchObject({ version: "2.0.0", previousVersion: "1.1.0", revision: 6 });
    expect(await auditOf(id, ["installation.rollback"])).toEqual([
      {
        action: "installation.rollback",
        actor_id: "alice",
        tenant_id: "acme",
        details: { instanceId: "shelf", from: "1.1.0", to: "2.0.0" },
      },
    ]);
    const again = await client().installations.rollback.mutate(ref);
    expect(again).toMatchObject({ version: "1.1.0", previousVersion: "2.0.0", revision: 7 });
  });

  it("refuses to upgrade to the version it already runs, by exact version, range or tag (CONFLICT)", async () => {
    const before = await state("acme", "shelf");
    for (const version of ["1.1.0", "~1.1.0", "stable"]) {
      const message = await expectTrpcError(
        client().installations.upgrade.mutate({ ...ref, version }),
        "CONFLICT",
        409,
      );
      expect(message).toBe("Instance 'shelf' already runs 1.1.0");
    }
    expect(await state("acme", "shelf")).toEqual(before);
  });

  it("answers NOT_FOUND for a version, range or tag that names nothing, changing nothing", async () => {
    const before = await state("acme", "shelf");
    expect(
      await expectTrpcError(client().installations.upgrade.mutate({ ...ref, version: "9.9.9" }), "NOT_FOUND", 404),
    ).toBe("No version of 'shelf' matches '9.9.9'");
    await expectTrpcError(client().installations.upgrade.mutate({ ...ref, version: "^5.0.0" }), "NOT_FOUND", 404);
    expect(
      await expectTrpcError(client().installations.upgrade.mutate({ ...ref, version: "nightly" }), "NOT_FOUND", 404),
    ).toBe("'shelf' has no tag 'nightly'");
    expect(await state("acme", "shelf")).toEqual(before);
  });

  it("answers GONE (410) for a blocked version, changing nothing", async () => {
    await followed(stack, "shelf", () =>
      trpc(stack, cast.root).versions.block.mutate({ pluginId: "shelf", version: "1.2.0", reason: "malware" }),
    );
    const before = await state("acme", "shelf");
    const error = await trpcError(client().installations.upgrade.mutate({ ...ref, version: "1.2.0" }));
    expect(error.data).toMatchObject({ code: "GONE", httpStatus: 410 });
    expect(error.message).toBe("shelf@1.2.0 was blocked and is not available");
    // A range skips it rather than answering gone: ~1.2.0 has nothing else.
    await expectTrpcError(client().installations.upgrade.mutate({ ...ref, version: "~1.2.0" }), "NOT_FOUND", 404);
    expect(await state("acme", "shelf")).toEqual(before);
  });

  it("refuses a rollback to a version that was blocked since, changing nothing", async () => {
    await client().installations.install.mutate({
      tenantId: "acme",
      instanceId: "shelf-b",
      pluginId: "shelf",
      version: "1.0.0",
    });
    await client().installations.upgrade.mutate({ tenantId: "acme", instanceId: "shelf-b", version: "1.1.0" });
    await followed(stack, "shelf", () =>
      trpc(stack, cast.root).versions.block.mutate({ pluginId: "shelf", version: "1.0.0", reason: "malware" }),
    );
    const before = await state("acme", "shelf-b");
    const error = await trpcError(client().installations.rollback.mutate({ tenantId: "acme", instanceId: "shelf-b" }));
    expect(error.data).toMatchObject({ code: "GONE", httpStatus: 410 });
    expect(await state("acme", "shelf-b")).toEqual(before);
  });

  it("refuses an upgrade sent with a stale revision (CONFLICT), changing nothing", async () => {
    const before = await state("acme", "shelf");
    const message = await expectTrpcError(
      client().installations.upgrade.mutate({ ...ref, version: "2.0.0", revision: before.row.revision - 1 }),
      "CONFLICT",
      409,
    );
    expect(message).toContain("changed meanwhile");
    expect(await state("acme", "shelf")).toEqual(before);
    const current = await client().installations.upgrade.mutate({
      ...ref,
      version: "2.0.0",
      revision: before.row.revision,
    });
    expect(current).toMatchObject({ version: "2.0.0", revision: before.row.revision + 1 });
  });

  it("lets a viewer neither upgrade nor roll back (FORBIDDEN), and another tenant's editor not find the instance", async () => {
    const before = await state("acme", "shelf");
    const viewer = trpc(stack, cast.vera);
    await expectTrpcError(viewer.installations.upgrade.mutate({ ...ref, version: "1.1.0" }), "FORBIDDEN", 403);
    await expectTrpcError(viewer.installations.rollback.mutate(ref), "FORBIDDEN", 403);
    const stranger = trpc(stack, cast.bob);
    await expectTrpcError(stranger.installations.upgrade.mutate({ ...ref, version: "1.1.0" }), "NOT_FOUND", 404);
    await expectTrpcError(stranger.installations.rollback.mutate(ref), "NOT_FOUND", 404);
    expect(await state("acme", "shelf")).toEqual(before);
  });
});

describe("upgrades check the stored config against the new version's schema", () => {
  const client = () => trpc(stack, cast.alice);
  const ref = { tenantId: "acme", instanceId: "mailer" };
  const baseSchema = {
    type: "object",
    properties: {
      host: { type: "string" },
      port: { type: "integer" },
      apiKey: { type: "string", writeOnly: true },
    },
    required: ["host", "apiKey"],
    additionalProperties: false,
  };
  let id: string;

  beforeAll(async () => {
    await release("mailer", "1.0.0", { config: baseSchema });
    // 1.1.0 adds a field with a default.
    await release("mailer", "1.1.0", {
      config: {
        ...baseSchema,
        properties: { ...baseSchema.properties, timeout: { type: "integer", default: 30 } },
      },
    });
    // 2.0.0 adds a required field without a default.
    await release("mailer", "2.0.0", {
      config: {
        ...baseSchema,
        properties: { ...baseSchema.properties, region: { type: "string" } },
        required: [...baseSchema.required, "region"],
      },
    });
    // 3.0.0 changes the type of port.
    await release("mailer", "3.0.0", {
      config: { ...baseSchema, properties: { ...baseSchema.properties, port: { type: "string" } } },
    });
    const installed = await client().installations.install.mutate({
      ...ref,
      pluginId: "mailer",
      version: "1.0.0",
      config: { host: "smtp.acme.test", port: 25, apiKey: "s3cret" },
    });
    id = installed.id;
    expect(installed).toMatchObject({ config: { host: "smtp.acme.test", port: 25 }, secretsSet: ["apiKey"] });
  });

  it("refuses a version that requires a field the config lacks (CONFLICT naming config.region), changing nothing", async () => {
    const before = await state("acme", "mailer");
    const message = await expectTrpcError(
      client().installations.upgrade.mutate({ ...ref, version: "2.0.0" }),
      "CONFLICT",
      409,
    );
    expect(message).toContain("Cannot move 'mailer' from 1.0.0 to 2.0.0");
    expect(message).toContain("config.region: is required");
    expect(await state("acme", "mailer")).toEqual(before);
  });

  it("refuses a version whose schema changed the type of a stored field (CONFLICT naming config.port), changing nothing", async () => {
    const before = await state("acme", "mailer");
    const message = await expectTrpcError(
      client().installations.upgrade.mutate({ ...ref, version: "3.0.0" }),
      "CONFLICT",
      409,
    );
    expect(message).toContain("config.port");
    expect(message).not.toContain("s3cret");
    expect(await state("acme", "mailer")).toEqual(before);
  });

  it("refuses latest too, since latest is 3.0.0", async () => {
    await expectTrpcError(client().installations.upgrade.mutate({ ...ref, version: "latest" }), "CONFLICT", 409);
  });

  it("upgrades to a version that adds a field with a default, storing the default", async () => {
    const before = await row("acme", "mailer");
    const upgraded = await client().installations.upgrade.mutate({ ...ref, version: "1.1.0" });
    expect(upgraded).toMatchObject({
      version: "1.1.0",
      previousVersion: "1.0.0",
      config: { host: "smtp.acme.test", port: 25, timeout: 30 },
      secretsSet: ["apiKey"],
    });
    expect(upgraded.config).not.toHaveProperty("apiKey");
    const after = await row("acme", "mailer");
    expect(after.config).toEqual({ host: "smtp.acme.test", port: 25, timeout: 30 });
    expect(after.secrets_set).toEqual(before.secrets_set);
    expect(after.sealed_secrets).not.toContain("s3cret");
    expect(await openSealed(present(after.sealed_secrets), id)).toEqual({ apiKey: "s3cret" });
  });

  it("keeps the secret after the upgrade: a configure that leaves the required secret out still passes", async () => {
    const configured = await client().installations.configure.mutate({
      ...ref,
      config: { host: "mail.acme.test", port: 587 },
    });
    expect(configured).toMatchObject({
      version: "1.1.0",
      config: { host: "mail.acme.test", port: 587, timeout: 30 },
      secretsSet: ["apiKey"],
    });
    const stored = await row("acme", "mailer");
    expect(await openSealed(present(stored.sealed_secrets), id)).toEqual({ apiKey: "s3cret" });
  });

  it("rolls back to a version that does not know a field 1.1.0 filled in with its default, leaving it behind", async () => {
    // 1.0.0 has no `timeout` and refuses unknown fields; 30 is 1.1.0's default, not a value anyone set.
    const rolledBack = await client().installations.rollback.mutate(ref);
    expect(rolledBack).toMatchObject({ version: "1.0.0", previousVersion: "1.1.0", secretsSet: ["apiKey"] });
    expect(rolledBack.config).toEqual({ host: "mail.acme.test", port: 587 });
    expect(await openSealed(present((await row("acme", "mailer")).sealed_secrets), id)).toEqual({ apiKey: "s3cret" });
  });

  it("refuses a move to a version that does not know a field someone set to another value, changing nothing", async () => {
    await client().installations.upgrade.mutate({ ...ref, version: "1.1.0" });
    await client().installations.configure.mutate({
      ...ref,
      config: { host: "mail.acme.test", port: 587, timeout: 5 },
    });
    const before = await state("acme", "mailer");
    const message = await expectTrpcError(client().installations.rollback.mutate(ref), "CONFLICT", 409);
    expect(message).toContain("Cannot move 'mailer' from 1.1.0 to 1.0.0");
    expect(message).toContain("config.timeout");
    expect(await state("acme", "mailer")).toEqual(before);
  });
});

describe("an upgrade that brings the config the new version needs", () => {
  const client = () => trpc(stack, cast.alice);
  const ref = { tenantId: "acme", instanceId: "courier" };
  const schema = (extra: Record<string, unknown>, required: string[]) => ({
    type: "object",
    properties: { host: { type: "string" }, apiKey: { type: "string", writeOnly: true }, ...extra },
    required: ["host", "apiKey", ...required],
    additionalProperties: false,
  });

  beforeAll(async () => {
    await release("courier", "1.0.0", { config: schema({}, []) });
    await release("courier", "2.0.0", { config: schema({ region: { enum: ["eu", "us"] } }, ["region"]) });
    await client().installations.install.mutate({
      ...ref,
      pluginId: "courier",
      version: "1.0.0",
      config: { host: "a.test", apiKey: "k-1" },
    });
  });

  it("is refused without the config, naming the missing field", async () => {
    const message = await expectTrpcError(
      client().installations.upgrade.mutate({ ...ref, version: "2.0.0" }),
      "CONFLICT",
      409,
    );
    expect(message).toContain("config.region: is required");
  });

  it("refuses a config the target's schema refuses, naming the field, changing nothing", async () => {
    const before = await row("acme", "courier");
    const message = await expectTrpcError(
      client().installations.upgrade.mutate({ ...ref, version: "2.0.0", config: { host: "a.test", region: "mars" } }),
      "CONFLICT",
      409,
    );
    expect(message).toContain("config.region");
    expect(await row("acme", "courier")).toEqual(before);
  });

  it("moves with the config given, keeping the secret left out, audited by field names", async () => {
    const moved = await client().installations.upgrade.mutate({
      ...ref,
      version: "2.0.0",
      config: { host: "b.test", region: "eu" },
    });
    expect(moved).toMatchObject({
      version: "2.0.0",
      previousVersion: "1.0.0",
      config: { host: "b.test", region: "eu" },
      secretsSet: ["apiKey"],
    });
    const stored = await row("acme", "courier");
    expect(await openSealed(present(stored.sealed_secrets), moved.id)).toEqual({ apiKey: "k-1" });
    const [audit] = await auditOf(moved.id, ["installation.upgrade"]);
    expect(audit?.details).toEqual({
      instanceId: "courier",
      from: "1.0.0",
      to: "2.0.0",
      fields: ["host", "region"],
      secretsSet: ["apiKey"],
    });
    expect(JSON.stringify(audit)).not.toContain("k-1");
  });
});

describe("a host registered while an install checks against it", () => {
  /** What `hosts.register` holds until it commits (workers/plugins/src/tenants/hosts.ts). */
  const registrationLock = (tenant: string) =>
    stack.db.query("select pg_advisory_xact_lock(hashtextextended($1, 0))", [`tenant-host:${tenant}`]);

  /** Runs `registration` in a transaction held open while an install starts, then commits it. */
  async function installDuring(tenant: string, pluginId: string, registration: () => Promise<unknown>) {
    await stack.db.query("begin");
    await registrationLock(tenant);
    await registration();
    const install = trpc(stack, cast.root)
      .installations.install.mutate({ tenantId: tenant, pluginId })
      .then(() => null)
      .catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await stack.db.query("commit");
    return install;
  }

  it("makes the install wait and then see the new host: refused for the point it no longer offers", async () => {
    await trpc(stack, cast.root).hosts.register.mutate({
      tenantId: "racing",
      version: "2.0.0",
      extensionPoints: [{ name: "payment-methods", contractVersion: "1.0.0" }],
    });
    await release("racer", "1.0.0");
    const error = await installDuring("racing", "racer", () =>
      stack.db.query("delete from host_extension_points where tenant_id = 'racing'"),
    );
    expect((error as Error | null)?.message).toContain("has no extension point 'payment-methods'");
    expect(await trpc(stack, cast.root).installations.list.query({ tenantId: "racing" })).toEqual([]);
  });

  it("does the same for a tenant's first registration, when there is no host row to lock yet", async () => {
    const error = await installDuring("first-racing", "racer", () =>
      stack.db.query(
        "insert into tenant_hosts (tenant_id, version, updated_by) values ('first-racing', '2.0.0', 'root')",
      ),
    );
    expect((error as Error | null)?.message).toContain("has no extension point 'payment-methods'");
    expect(await trpc(stack, cast.root).installations.list.query({ tenantId: "first-racing" })).toEqual([]);
  });
});

describe("host checks", () => {
  const hana = () => trpc(stack, tokens.hana);
  const paymentHost = {
    tenantId: "hosted",
    version: "2.1.0",
    extensionPoints: [
      { name: "payment-methods", description: "Ways to pay", contractVersion: "1.4.0" },
      { name: "checkout-steps", contractVersion: "3.0.0" },
    ],
  };

  beforeAll(async () => {
    await release("needs-v3", "1.0.0", { engines: { host: "^3.0.0" } });
    await release("shipper", "1.0.0", { extensionPoints: ["shipping-rates"] });
    await release("pay-v2", "1.0.0", { extensionPoints: [{ name: "payment-methods", contract: "^2" }] });
    await release("pay-v1", "1.0.0", {
      engines: { host: "^2.0.0" },
      extensionPoints: [{ name: "payment-methods", contract: "^1.2" }, "checkout-steps"],
    });
    await release("growing", "1.0.0", { extensionPoints: ["payment-methods"] });
    await release("growing", "2.0.0", { extensionPoints: ["payment-methods", "shipping-rates"] });
  });

  it("has no host before one is registered", async () => {
    expect(await hana().hosts.get.query({ tenantId: "hosted" })).toBeNull();
  });

  it("registers the tenant's host, readable by its viewers, audited", async () => {
    const host = await hana().hosts.register.mutate(paymentHost);
    const expected = {
      tenantId: "hosted",
      version: "2.1.0",
      extensionPoints: [
        { name: "checkout-steps", description: "", contractVersion: "3.0.0" },
        { name: "payment-methods", description: "Ways to pay", contractVersion: "1.4.0" },
      ],
    };
    expect(host).toEqual(expected);
    expect(await trpc(stack, tokens.hostedViewer).hosts.get.query({ tenantId: "hosted" })).toEqual(expected);
    const { rows } = await stack.db.query(
      "select actor_id, tenant_id, details from audit_log where action = 'tenant_host.register' and resource_id = 'hosted'",
    );
    expect(rows).toEqual([
      {
        actor_id: "hana",
        tenant_id: "hosted",
        details: { version: "2.1.0", extensionPoints: ["payment-methods", "checkout-steps"] },
      },
    ]);
  });

  it("refuses to install a plugin whose engines.host the host version is outside (CONFLICT naming engines.host)", async () => {
    const before = await stack.snapshot();
    const message = await expectTrpcError(
      hana().installations.install.mutate({ tenantId: "hosted", pluginId: "needs-v3" }),
      "CONFLICT",
      409,
    );
    expect(message).toContain("engines.host");
    expect(message).toContain("^3.0.0");
    expect(await stack.snapshot()).toEqual(before);
  });

  it("refuses a plugin providing an extension point the host lacks (CONFLICT naming the point)", async () => {
    const before = await stack.snapshot();
    const message = await expectTrpcError(
      hana().installations.install.mutate({ tenantId: "hosted", pluginId: "shipper" }),
      "CONFLICT",
      409,
    );
    expect(message).toContain("'shipping-rates'");
    expect(await stack.snapshot()).toEqual(before);
  });

  it("refuses a plugin whose contract range the host's contract version is outside (CONFLICT)", async () => {
    const before = await stack.snapshot();
    const message = await expectTrpcError(
      hana().installations.install.mutate({ tenantId: "hosted", pluginId: "pay-v2" }),
      "CONFLICT",
      409,
    );
    expect(message).toContain("'payment-methods' needs contract ^2, and the host offers 1.4.0");
    expect(await stack.snapshot()).toEqual(before);
  });

  it("installs and activates plugins that fit the host", async () => {
    const installed = await hana().installations.install.mutate({
      tenantId: "hosted",
      pluginId: "pay-v1",
      activate: true,
    });
    expect(installed).toMatchObject({ version: "1.0.0", status: "active" });
    const growing = await hana().installations.install.mutate({
      tenantId: "hosted",
      pluginId: "growing",
      version: "1.0.0",
    });
    expect(growing).toMatchObject({ version: "1.0.0", status: "installed" });
  });

  it("does not check a tenant that registered no host: anything installs there", async () => {
    const acme = trpc(stack, cast.alice);
    expect(await acme.hosts.get.query({ tenantId: "acme" })).toBeNull();
    for (const pluginId of ["needs-v3", "shipper", "pay-v2"]) {
      const installed = await acme.installations.install.mutate({ tenantId: "acme", pluginId, activate: true });
      expect(installed).toMatchObject({ pluginId, status: "active" });
    }
  });

  it("refuses an upgrade to a version that needs an extension point the host lacks, changing nothing", async () => {
    const before = await state("hosted", "growing");
    const message = await expectTrpcError(
      hana().installations.upgrade.mutate({ tenantId: "hosted", instanceId: "growing", version: "2.0.0" }),
      "CONFLICT",
      409,
    );
    expect(message).toContain("Cannot move 'growing' from 1.0.0 to 2.0.0");
    expect(message).toContain("'shipping-rates'");
    expect(await state("hosted", "growing")).toEqual(before);
  });

  it("upgrades once the host offers the missing point", async () => {
    await hana().hosts.register.mutate({
      ...paymentHost,
      extensionPoints: [...paymentHost.extensionPoints, { name: "shipping-rates", contractVersion: "1.0.0" }],
    });
    const upgraded = await hana().installations.upgrade.mutate({
      tenantId: "hosted",
      instanceId: "growing",
      version: "2.0.0",
    });
    expect(upgraded).toMatchObject({ version: "2.0.0", previousVersion: "1.0.0" });
    await hana().hosts.register.mutate(paymentHost);
  });

  it("checks the host again on activate: a host re-registered without the point refuses (CONFLICT)", async () => {
    const sam = trpc(stack, tokens.sam);
    const host = {
      tenantId: "shifting",
      version: "2.1.0",
      extensionPoints: [{ name: "payment-methods", contractVersion: "1.4.0" }],
    };
    await sam.hosts.register.mutate(host);
    await sam.installations.install.mutate({ tenantId: "shifting", pluginId: "growing", version: "1.0.0" });
    await sam.hosts.register.mutate({ ...host, extensionPoints: [] });
    // Instances already there are left as they are.
    expect(await row("shifting", "growing")).toMatchObject({ status: "installed", version: "1.0.0" });
    const before = await state("shifting", "growing");
    const message = await expectTrpcError(
      sam.installations.activate.mutate({ tenantId: "shifting", instanceId: "growing" }),
      "CONFLICT",
      409,
    );
    expect(message).toContain("Cannot activate 'growing'");
    expect(message).toContain("'payment-methods'");
    expect(await state("shifting", "growing")).toEqual(before);
    await sam.hosts.register.mutate(host);
    const active = await sam.installations.activate.mutate({ tenantId: "shifting", instanceId: "growing" });
    expect(active.status).toBe("active");
  });

  it("checks the host again on activate for the engines range too", async () => {
    const sam = trpc(stack, tokens.sam);
    await sam.hosts.register.mutate({
      tenantId: "shifting",
      version: "2.5.0",
      extensionPoints: [
        { name: "payment-methods", contractVersion: "1.4.0" },
        { name: "checkout-steps", contractVersion: "3.0.0" },
      ],
    });
    await sam.installations.install.mutate({ tenantId: "shifting", pluginId: "pay-v1" });
    await sam.hosts.register.mutate({
      tenantId: "shifting",
      version: "3.0.0",
      extensionPoints: [
        { name: "payment-methods", contractVersion: "1.4.0" },
        { name: "checkout-steps", contractVersion: "3.0.0" },
      ],
    });
    const message = await expectTrpcError(
      sam.installations.activate.mutate({ tenantId: "shifting", instanceId: "pay-v1" }),
      "CONFLICT",
      409,
    );
    expect(message).toContain("engines.host");
    expect(await row("shifting", "pay-v1")).toMatchObject({ status: "installed" });
  });

  describe("registering a host", () => {
    const registered = () => trpc(stack, cast.root).hosts.get.query({ tenantId: "hosted" });

    it("is refused to a viewer of the tenant (FORBIDDEN)", async () => {
      const before = await registered();
      await expectTrpcError(
        trpc(stack, tokens.hostedViewer).hosts.register.mutate({ ...paymentHost, extensionPoints: [] }),
        "FORBIDDEN",
        403,
      );
      expect(await registered()).toEqual(before);
    });

    it("answers another tenant's editor as if the tenant did not exist (NOT_FOUND), for register and get", async () => {
      const before = await registered();
      const message = await expectTrpcError(
        trpc(stack, cast.bob).hosts.register.mutate({ ...paymentHost, extensionPoints: [] }),
        "NOT_FOUND",
        404,
      );
      expect(message).toBe("No tenant 'hosted'");
      await expectTrpcError(trpc(stack, cast.bob).hosts.get.query({ tenantId: "hosted" }), "NOT_FOUND", 404);
      expect(await registered()).toEqual(before);
    });

    it("refuses an extension point named twice (BAD_REQUEST)", async () => {
      const before = await registered();
      const message = await expectTrpcError(
        hana().hosts.register.mutate({
          tenantId: "hosted",
          version: "2.1.0",
          extensionPoints: [
            { name: "payment-methods", contractVersion: "1.4.0" },
            { name: "payment-methods", contractVersion: "2.0.0" },
          ],
        }),
        "BAD_REQUEST",
        400,
      );
      expect(message).toContain("must not name an extension point twice");
      expect(await registered()).toEqual(before);
    });

    it("refuses a contract version that is not semver, and a host version that is not either (BAD_REQUEST)", async () => {
      const before = await registered();
      await expectTrpcError(
        hana().hosts.register.mutate({
          tenantId: "hosted",
          version: "2.1.0",
          extensionPoints: [{ name: "payment-methods", contractVersion: "^1.4" }],
        }),
        "BAD_REQUEST",
        400,
      );
      await expectTrpcError(
        hana().hosts.register.mutate({
          tenantId: "hosted",
          version: "2.1.0",
          extensionPoints: [{ name: "payment-methods", contractVersion: "one" }],
        }),
        "BAD_REQUEST",
        400,
      );
      await expectTrpcError(
        hana().hosts.register.mutate({ tenantId: "hosted", version: "latest", extensionPoints: [] }),
        "BAD_REQUEST",
        400,
      );
      expect(await registered()).toEqual(before);
    });
  });
});

describe("update policies follow new versions", () => {
  const pia = () => trpc(stack, tokens.pia);
  const policies = ["pinned", "patch", "minor", "latest"] as const;
  const ids: Record<string, string> = {};
  const follow = () => versionsOf("policy", [...policies]);

  beforeAll(async () => {
    await release("follow", "1.0.0");
    for (const updatePolicy of policies) {
      const installed = await pia().installations.install.mutate({
        tenantId: "policy",
        pluginId: "follow",
        instanceId: updatePolicy,
        updatePolicy,
      });
      expect(installed).toMatchObject({ version: "1.0.0", updatePolicy });
      ids[updatePolicy] = installed.id;
    }
  });

  it("a patch release moves patch, minor and latest; pinned stays", async () => {
    await release("follow", "1.0.1");
    expect(await follow()).toEqual({ pinned: "1.0.0", patch: "1.0.1", minor: "1.0.1", latest: "1.0.1" });
  });

  it("writes an installation.auto_update entry per moved instance, sets previousVersion and bumps the revision", async () => {
    for (const policy of ["patch", "minor", "latest"] as const) {
      const id = present(ids[policy]);
      expect(await auditOf(id, ["installation.auto_update"])).toEqual([
        {
          action: "installation.auto_update",
          actor_id: "alice",
          tenant_id: "policy",
          details: { instanceId: policy, from: "1.0.0", to: "1.0.1", policy },
        },
      ]);
      expect(await row("policy", policy)).toMatchObject({ previous_version: "1.0.0", revision: 2 });
    }
    expect(await auditOf(present(ids.pinned), ["installation.auto_update", "installation.update_held"])).toEqual([]);
    expect(await row("policy", "pinned")).toMatchObject({ previous_version: null, revision: 1 });
  });

  it("a minor release moves minor and latest; patch stays on 1.0.1", async () => {
    await release("follow", "1.1.0");
    expect(await follow()).toEqual({ pinned: "1.0.0", patch: "1.0.1", minor: "1.1.0", latest: "1.1.0" });
    expect(await row("policy", "minor")).toMatchObject({ previous_version: "1.0.1" });
  });

  it("a major release moves only latest", async () => {
    await release("follow", "2.0.0");
    expect(await follow()).toEqual({ pinned: "1.0.0", patch: "1.0.1", minor: "1.1.0", latest: "2.0.0" });
  });

  it("a prerelease under another tag moves nobody", async () => {
    await releaseTagged("follow", "2.1.0-beta.1", "beta");
    expect(await follow()).toEqual({ pinned: "1.0.0", patch: "1.0.1", minor: "1.1.0", latest: "2.0.0" });
  });

  it("an instance rolled back by hand is moved on again by the next publish its policy admits", async () => {
    await pia().installations.rollback.mutate({ tenantId: "policy", instanceId: "minor" });
    expect((await follow()).minor).toBe("1.0.1");
    await release("follow", "1.2.0");
    expect(await follow()).toEqual({ pinned: "1.0.0", patch: "1.0.1", minor: "1.2.0", latest: "2.0.0" });
  });

  it("setUpdatePolicy from pinned to minor catches the instance up at once", async () => {
    const updated = await pia().installations.setUpdatePolicy.mutate({
      tenantId: "policy",
      instanceId: "pinned",
      updatePolicy: "minor",
    });
    expect(updated).toMatchObject({ updatePolicy: "minor", version: "1.2.0", previousVersion: "1.0.0", revision: 3 });
    expect(await auditOf(present(ids.pinned))).toEqual([
      expect.objectContaining({ action: "installation.install" }),
      {
        action: "installation.update_policy",
        actor_id: "pia",
        tenant_id: "policy",
        details: { instanceId: "pinned", from: "pinned", to: "minor" },
      },
      {
        action: "installation.auto_update",
        actor_id: "pia",
        tenant_id: "policy",
        details: { instanceId: "pinned", from: "1.0.0", to: "1.2.0", policy: "minor" },
      },
    ]);
  });

  it("setUpdatePolicy to the policy it already has changes nothing, not even the revision", async () => {
    await pia().installations.install.mutate({
      tenantId: "policy",
      pluginId: "follow",
      instanceId: "steady",
      version: "1.0.0",
    });
    const before = await row("policy", "steady");
    const same = await pia().installations.setUpdatePolicy.mutate({
      tenantId: "policy",
      instanceId: "steady",
      updatePolicy: "pinned",
    });
    expect(same.revision).toBe(before.revision);
    expect(await row("policy", "steady")).toEqual(before);
    expect(await auditOf(same.id, ["installation.update_policy"])).toEqual([]);
  });

  it("setUpdatePolicy moves only the instance it changes", async () => {
    // An install on a following policy catches up at once, so `other` starts on the newest 1.0.x.
    const other = await pia().installations.install.mutate({
      tenantId: "policy",
      pluginId: "follow",
      instanceId: "other",
      version: "1.0.0",
      updatePolicy: "patch",
    });
    await pia().installations.install.mutate({
      tenantId: "policy",
      pluginId: "follow",
      instanceId: "changed",
      version: "1.0.0",
    });
    await pia().installations.setUpdatePolicy.mutate({
      tenantId: "policy",
      instanceId: "changed",
      updatePolicy: "latest",
    });
    expect(await versionsOf("policy", ["other", "changed"])).toEqual({ other: other.version, changed: "2.0.0" });
  });

  it("an install of an older version on a following policy catches up at once, audited", async () => {
    const installed = await pia().installations.install.mutate({
      tenantId: "policy",
      pluginId: "follow",
      instanceId: "late-minor",
      version: "1.0.0",
      updatePolicy: "minor",
    });
    const newest1x = await pia().plugins.resolve.query({ pluginId: "follow", range: "^1.0.0" });
    expect(newest1x.version).not.toBe("1.0.0");
    expect(installed).toMatchObject({ version: newest1x.version, previousVersion: "1.0.0", revision: 2 });
    expect(await auditOf(installed.id, ["installation.auto_update"])).toHaveLength(1);
  });

  it("a 0.x plugin on minor follows patches of its 0.y only (caret semantics); latest crosses", async () => {
    await release("zero", "0.2.0");
    for (const updatePolicy of ["minor", "latest"] as const) {
      await pia().installations.install.mutate({
        tenantId: "policy",
        pluginId: "zero",
        instanceId: `zero-${updatePolicy}`,
        updatePolicy,
      });
    }
    await release("zero", "0.2.1");
    expect(await versionsOf("policy", ["zero-minor", "zero-latest"])).toEqual({
      "zero-minor": "0.2.1",
      "zero-latest": "0.2.1",
    });
    await release("zero", "0.3.0");
    expect(await versionsOf("policy", ["zero-minor", "zero-latest"])).toEqual({
      "zero-minor": "0.2.1",
      "zero-latest": "0.3.0",
    });
    await release("zero", "0.2.2");
    expect(await versionsOf("policy", ["zero-minor", "zero-latest"])).toEqual({
      "zero-minor": "0.2.2",
      "zero-latest": "0.3.0",
    });
  });

  it("holds an instance whose config the new version refuses, with an installation.update_held entry naming why", async () => {
    const schema = { type: "object", properties: { label: { type: "string" } }, additionalProperties: false };
    await release("strict", "1.0.0", { config: schema });
    const held = await pia().installations.install.mutate({
      tenantId: "policy",
      pluginId: "strict",
      instanceId: "strict-held",
      updatePolicy: "minor",
      config: { label: "x" },
    });
    const before = await row("policy", "strict-held");
    await release("strict", "1.1.0", {
      config: { ...schema, properties: { ...schema.properties, region: { type: "string" } }, required: ["region"] },
    });
    expect(await row("policy", "strict-held")).toEqual(before);
    expect(await auditOf(held.id, ["installation.update_held"])).toEqual([
      {
        action: "installation.update_held",
        actor_id: "alice",
        tenant_id: "policy",
        details: { instanceId: "strict-held", from: "1.0.0", to: "1.1.0", problems: ["config.region: is required"] },
      },
    ]);
    expect(await auditOf(held.id, ["installation.auto_update"])).toEqual([]);
  });

  it("holds an instance whose host lacks what the new version needs", async () => {
    const sam = trpc(stack, tokens.sam);
    await release("host-bound", "1.0.0", { extensionPoints: ["payment-methods"] });
    const instance = await sam.installations.install.mutate({
      tenantId: "shifting",
      pluginId: "host-bound",
      updatePolicy: "latest",
    });
    await release("host-bound", "1.1.0", { extensionPoints: ["payment-methods", "loyalty"] });
    expect(await row("shifting", "host-bound")).toMatchObject({ version: "1.0.0", revision: 1 });
    const [entry] = await auditOf(instance.id, ["installation.update_held"]);
    expect(entry?.details).toMatchObject({ from: "1.0.0", to: "1.1.0" });
    expect(String(entry?.details.problems)).toContain("'loyalty'");
  });

  it("setting latest by hand with tags.set moves instances on the latest policy", async () => {
    const alice = trpc(stack, cast.alice);
    await release("handpicked", "1.0.0");
    await followed(stack, "handpicked", () =>
      alice.tags.set.mutate({ pluginId: "handpicked", tag: "latest", version: "1.0.0" }),
    );
    for (const updatePolicy of ["latest", "patch"] as const) {
      await pia().installations.install.mutate({
        tenantId: "policy",
        pluginId: "handpicked",
        instanceId: `handpicked-${updatePolicy}`,
        updatePolicy,
      });
    }
    // latest was set by hand, so a new publish leaves it (and the latest-policy instance) where it was.
    await release("handpicked", "1.1.0");
    await release("handpicked", "1.0.1");
    const instances = ["handpicked-latest", "handpicked-patch"];
    expect(await versionsOf("policy", instances)).toEqual({
      "handpicked-latest": "1.0.0",
      "handpicked-patch": "1.0.1",
    });
    await followed(stack, "handpicked", () =>
      alice.tags.set.mutate({ pluginId: "handpicked", tag: "latest", version: "1.1.0" }),
    );
    expect(await versionsOf("policy", instances)).toEqual({
      "handpicked-latest": "1.1.0",
      "handpicked-patch": "1.0.1",
    });
    const latest = await row("policy", "handpicked-latest");
    expect(latest.previous_version).toBe("1.0.0");
    const audit = await auditOf(latest.id, ["installation.auto_update"]);
    expect(audit).toEqual([
      {
        action: "installation.auto_update",
        actor_id: "alice",
        tenant_id: "policy",
        details: { instanceId: "handpicked-latest", from: "1.0.0", to: "1.1.0", policy: "latest" },
      },
    ]);
  });

  it("setting latest by hand below the current version moves nobody backwards", async () => {
    const alice = trpc(stack, cast.alice);
    await followed(stack, "handpicked", () =>
      alice.tags.set.mutate({ pluginId: "handpicked", tag: "latest", version: "1.0.0" }),
    );
    expect((await versionsOf("policy", ["handpicked-latest"]))["handpicked-latest"]).toBe("1.1.0");
  });

  it("removing a hand-set latest hands it back to the highest stable version, and latest followers follow", async () => {
    const alice = trpc(stack, cast.alice);
    await release("handpicked", "1.2.0");
    expect((await versionsOf("policy", ["handpicked-latest"]))["handpicked-latest"]).toBe("1.1.0");
    await followed(stack, "handpicked", () => alice.tags.remove.mutate({ pluginId: "handpicked", tag: "latest" }));
    expect((await versionsOf("policy", ["handpicked-latest"]))["handpicked-latest"]).toBe("1.2.0");
  });
});

describe("a held update is part of the instance", () => {
  const pia = () => trpc(stack, tokens.pia);
  const labelOnly = { type: "object", properties: { label: { type: "string" } }, additionalProperties: false };
  const needsRegion = {
    ...labelOnly,
    properties: { ...labelOnly.properties, region: { type: "string" } },
    required: ["region"],
  };
  const ref = (instanceId: string) => ({ tenantId: "policy", instanceId });
  const heldOf = async (instanceId: string) => (await pia().installations.get.query(ref(instanceId))).heldUpdate;
  let firstHeldAt = "";

  beforeAll(async () => {
    await release("waiting", "1.0.0", { config: labelOnly });
    for (const [instanceId, updatePolicy] of [
      ["waits-latest", "latest"],
      ["waits-upgrade", "latest"],
      ["waits-minor", "minor"],
      ["waits-gone", "latest"],
    ] as const) {
      await pia().installations.install.mutate({
        ...ref(instanceId),
        pluginId: "waiting",
        updatePolicy,
        config: { label: "x" },
      });
    }
  });

  it("is shown by get, list and REST status, with its reasons, for a viewer too; the instance stays as it was", async () => {
    const before = await row("policy", "waits-latest");
    const publishedFrom = Date.now();
    await release("waiting", "1.1.0", { config: needsRegion });
    const held = { version: "1.1.0", reasons: ["config.region: is required"], heldAt: expect.any(String) };
    const got = await pia().installations.get.query(ref("waits-latest"));
    expect(got).toMatchObject({ version: "1.0.0", revision: before.revision, heldUpdate: held });
    firstHeldAt = present(got.heldUpdate).heldAt;
    expect(Date.parse(firstHeldAt)).toBeGreaterThanOrEqual(publishedFrom - 5_000);
    expect(Date.parse(firstHeldAt)).toBeLessThanOrEqual(Date.now() + 5_000);
    expect(await row("policy", "waits-latest")).toEqual(before);

    const listed = await trpc(stack, tokens.policyViewer).installations.list.query({ tenantId: "policy" });
    const byId = new Map(listed.map((instance) => [instance.instanceId, instance.heldUpdate]));
    for (const instanceId of ["waits-latest", "waits-upgrade", "waits-minor"]) {
      expect(byId.get(instanceId), instanceId).toEqual({ ...held, heldAt: expect.any(String) });
    }

    const status = await fetch(`${stack.url}/api/plugins/status/waits-latest`, {
      headers: { authorization: `Bearer ${tokens.policyViewer}`, "x-tenant-id": "policy" },
    });
    expect(status.status).toBe(200);
    expect(((await status.json()) as { heldUpdate: unknown }).heldUpdate).toEqual({ ...held, heldAt: firstHeldAt });
  });

  it("is replaced by the hold of a newer version, from the time that one was held", async () => {
    await release("waiting", "1.2.0", { config: needsRegion });
    const held = await heldOf("waits-latest");
    expect(held).toMatchObject({ version: "1.2.0", reasons: ["config.region: is required"] });
    expect(Date.parse(present(held).heldAt)).toBeGreaterThanOrEqual(Date.parse(firstHeldAt));
    expect(await heldOf("waits-minor")).toMatchObject({ version: "1.2.0" });
  });

  it("is settled anew by a policy change: kept for a policy that still admits it, cleared for one that does not", async () => {
    const minorHold = present(await heldOf("waits-minor"));
    const toLatest = await pia().installations.setUpdatePolicy.mutate({
      ...ref("waits-minor"),
      updatePolicy: "latest",
    });
    // latest admits 1.2.0 as well: the same hold, since the same time.
    expect(toLatest.heldUpdate).toEqual(minorHold);
    const toPatch = await pia().installations.setUpdatePolicy.mutate({ ...ref("waits-minor"), updatePolicy: "patch" });
    expect(toPatch).toMatchObject({ version: "1.0.0", updatePolicy: "patch", heldUpdate: null });
    await pia().installations.setUpdatePolicy.mutate({ ...ref("waits-minor"), updatePolicy: "minor" });
    expect(await heldOf("waits-minor")).toMatchObject({ version: "1.2.0" });
    const pinned = await pia().installations.setUpdatePolicy.mutate({ ...ref("waits-minor"), updatePolicy: "pinned" });
    expect(pinned).toMatchObject({ version: "1.0.0", heldUpdate: null });
    expect(await heldOf("waits-minor")).toBeNull();
  });

  it("ends when the instance is upgraded by hand", async () => {
    expect(await heldOf("waits-upgrade")).toMatchObject({ version: "1.2.0" });
    const moved = await pia().installations.upgrade.mutate({
      ...ref("waits-upgrade"),
      version: "1.2.0",
      config: { label: "x", region: "eu" },
    });
    expect(moved).toMatchObject({ version: "1.2.0", heldUpdate: null });
    expect(await heldOf("waits-upgrade")).toBeNull();
  });

  it("ends with an uninstall: the history keeps no hold", async () => {
    expect(await heldOf("waits-gone")).toMatchObject({ version: "1.2.0" });
    await pia().installations.uninstall.mutate(ref("waits-gone"));
    const history = await pia().installations.list.query({ tenantId: "policy", includeUninstalled: true });
    expect(history.find((instance) => instance.instanceId === "waits-gone")).toMatchObject({
      status: "uninstalled",
      heldUpdate: null,
    });
  });

  it("ends when a later publish the instance can take moves it", async () => {
    expect(await heldOf("waits-latest")).toMatchObject({ version: "1.2.0" });
    await release("waiting", "1.3.0", { config: labelOnly });
    expect(await pia().installations.get.query(ref("waits-latest"))).toMatchObject({
      version: "1.3.0",
      previousVersion: "1.0.0",
      heldUpdate: null,
    });
  });
});

describe("yanked versions are never followed", () => {
  const pia = () => trpc(stack, tokens.pia);
  const instances = ["yank-patch", "yank-minor", "yank-latest"];

  beforeAll(async () => {
    await release("yanky", "1.0.0");
    for (const updatePolicy of ["patch", "minor", "latest"] as const) {
      await pia().installations.install.mutate({
        tenantId: "policy",
        pluginId: "yanky",
        instanceId: `yank-${updatePolicy}`,
        updatePolicy,
        version: "1.0.0",
      });
    }
  });

  it("a later publish moves instances past a yanked version, never onto it", async () => {
    // Published while every instance is on 1.0.0 and no one follows it: installed pinned first.
    await pia().installations.install.mutate({
      tenantId: "policy",
      pluginId: "yanky",
      instanceId: "yank-probe",
      version: "1.0.0",
    });
    await release("yanky", "1.1.0");
    expect(await versionsOf("policy", instances)).toEqual({
      "yank-patch": "1.0.0",
      "yank-minor": "1.1.0",
      "yank-latest": "1.1.0",
    });
    await followed(stack, "yanky", () =>
      trpc(stack, cast.alice).versions.yank.mutate({ pluginId: "yanky", version: "1.1.0", reason: "broken" }),
    );
    // The probe is pinned at 1.0.0; switching it to minor would pick the yanked 1.1.0 if yanked versions counted.
    const probe = await pia().installations.setUpdatePolicy.mutate({
      tenantId: "policy",
      instanceId: "yank-probe",
      updatePolicy: "minor",
    });
    expect(probe.version).toBe("1.0.0");
    // A patch publish: the probe on minor takes 1.0.1, not the higher but yanked 1.1.0.
    await release("yanky", "1.0.1");
    expect(await versionsOf("policy", [...instances, "yank-probe"])).toEqual({
      "yank-patch": "1.0.1",
      "yank-minor": "1.1.0",
      "yank-latest": "1.1.0",
      "yank-probe": "1.0.1",
    });
  });

  it("catching up with setUpdatePolicy skips yanked versions too", async () => {
    await release("yanky", "1.2.0");
    await followed(stack, "yanky", () =>
      trpc(stack, cast.alice).versions.yank.mutate({ pluginId: "yanky", version: "1.2.0" }),
    );
    await pia().installations.install.mutate({
      tenantId: "policy",
      pluginId: "yanky",
      instanceId: "yank-late",
      version: "1.0.0",
    });
    for (const updatePolicy of ["patch", "minor", "latest"] as const) {
      const moved = await pia().installations.setUpdatePolicy.mutate({
        tenantId: "policy",
        instanceId: "yank-late",
        updatePolicy,
      });
      // 1.1.0 and 1.2.0 are yanked; latest fell back to 1.0.1.
      expect(moved.version).toBe("1.0.1");
    }
  });
});

describe("a yanked version is never chosen again, though instances on it keep running", () => {
  const client = () => trpc(stack, cast.alice);
  const on = (instanceId: string) => ({ tenantId: "acme", instanceId });
  const YANKED = /^pulled@1\.1\.0 is yanked: /;

  beforeAll(async () => {
    for (const version of ["1.0.0", "1.1.0", "1.2.0"]) await release("pulled", version);
    await client().installations.install.mutate({
      ...on("pulled-running"),
      pluginId: "pulled",
      version: "1.1.0",
      activate: true,
    });
    await client().installations.install.mutate({ ...on("pulled-back"), pluginId: "pulled", version: "1.1.0" });
    await client().installations.upgrade.mutate({ ...on("pulled-back"), version: "1.2.0" });
    await client().installations.install.mutate({ ...on("pulled-mover"), pluginId: "pulled", version: "1.0.0" });
    await followed(stack, "pulled", () =>
      client().versions.yank.mutate({ pluginId: "pulled", version: "1.1.0", reason: "broken" }),
    );
  });

  it("refuses a new install of it, exact (1.1.0, =1.1.0) or by a range only it meets (409 saying so), changing nothing", async () => {
    const before = await stack.snapshot();
    for (const version of ["1.1.0", "=1.1.0", "v1.1.0", "~1.1.0"]) {
      const message = await expectTrpcError(
        client().installations.install.mutate({ ...on(`pulled-new`), pluginId: "pulled", version }),
        "CONFLICT",
        409,
      );
      expect(message, version).toMatch(YANKED);
    }
    expect(await stack.snapshot()).toEqual(before);
  });

  it("refuses it the same way through REST /api/plugins/install", async () => {
    const before = await stack.snapshot();
    for (const version of ["1.1.0", "=1.1.0"]) {
      const response = await install(stack, cast.alice, "acme", {
        pluginId: "pulled",
        instanceId: "pulled-rest",
        version,
      });
      expect(await expectError(response, 409, "CONFLICT")).toMatch(YANKED);
    }
    expect(await stack.snapshot()).toEqual(before);
  });

  it("still installs a range that a published version meets: ^1.1.0 takes 1.2.0", async () => {
    const installed = await client().installations.install.mutate({
      ...on("pulled-range"),
      pluginId: "pulled",
      version: "^1.1.0",
    });
    expect(installed.version).toBe("1.2.0");
  });

  it("refuses an upgrade onto it, changing nothing", async () => {
    const before = await state("acme", "pulled-mover");
    for (const version of ["1.1.0", "=1.1.0", "~1.1.0"]) {
      const message = await expectTrpcError(
        client().installations.upgrade.mutate({ ...on("pulled-mover"), version }),
        "CONFLICT",
        409,
      );
      expect(message, version).toMatch(YANKED);
    }
    expect(await state("acme", "pulled-mover")).toEqual(before);
  });

  it("refuses a rollback onto it, changing nothing: the rollback would choose it anew", async () => {
    const before = await state("acme", "pulled-back");
    expect(before.row).toMatchObject({ version: "1.2.0", previous_version: "1.1.0" });
    const message = await expectTrpcError(client().installations.rollback.mutate(on("pulled-back")), "CONFLICT", 409);
    expect(message).toMatch(YANKED);
    expect(await state("acme", "pulled-back")).toEqual(before);
  });

  it("keeps an instance already on it running: read, listed in the tenant manifest, stopped and started again", async () => {
    expect(await client().installations.get.query(on("pulled-running"))).toMatchObject({
      version: "1.1.0",
      status: "active",
    });
    const listed = async () => {
      const { manifest } = await client().manifests.get.query({ tenantId: "acme" });
      return manifest?.plugins.find((plugin) => plugin.instanceId === "pulled-running");
    };
    expect(await listed()).toMatchObject({ pluginId: "pulled", version: "1.1.0" });
    await client().installations.deactivate.mutate(on("pulled-running"));
    expect(await listed()).toBeUndefined();
    const started = await client().installations.activate.mutate(on("pulled-running"));
    expect(started).toMatchObject({ version: "1.1.0", status: "active" });
    expect(await listed()).toMatchObject({ version: "1.1.0" });
    // Whoever pinned it keeps loading it: resolving the exact version still answers it.
    expect(await trpc(stack).plugins.resolve.query({ pluginId: "pulled", range: "1.1.0" })).toMatchObject({
      version: "1.1.0",
      status: "yanked",
    });
  });
});

describe("a yank or block that moves latest forward", () => {
  it("moves instances on the latest policy along with the tag, as setting or removing latest does", async () => {
    const alice = trpc(stack, cast.alice);
    await release("retag", "1.0.0");
    await release("retag", "2.0.0");
    // latest set by hand to 1.0.0, with an instance following it.
    await followed(stack, "retag", () => alice.tags.set.mutate({ pluginId: "retag", tag: "latest", version: "1.0.0" }));
    const instance = await trpc(stack, tokens.pia).installations.install.mutate({
      tenantId: "policy",
      pluginId: "retag",
      instanceId: "retag-latest",
      updatePolicy: "latest",
    });
    expect(instance.version).toBe("1.0.0");
    // Yanking 1.0.0 hands latest back to the highest stable version, 2.0.0.
    await followed(stack, "retag", () =>
      alice.versions.yank.mutate({ pluginId: "retag", version: "1.0.0", reason: "broken" }),
    );
    expect((await alice.plugins.get.query({ pluginId: "retag" })).distTags.latest).toBe("2.0.0");
    expect(await versionsOf("policy", ["retag-latest"])).toEqual({ "retag-latest": "2.0.0" });
  });

  it("moves them off a version an admin blocked when the block hands latest to a higher version", async () => {
    const alice = trpc(stack, cast.alice);
    await release("reblock", "1.0.0");
    await release("reblock", "2.0.0");
    await followed(stack, "reblock", () =>
      alice.tags.set.mutate({ pluginId: "reblock", tag: "latest", version: "1.0.0" }),
    );
    await trpc(stack, tokens.pia).installations.install.mutate({
      tenantId: "policy",
      pluginId: "reblock",
      instanceId: "reblock-latest",
      updatePolicy: "latest",
    });
    await followed(stack, "reblock", () =>
      trpc(stack, cast.root).versions.block.mutate({ pluginId: "reblock", version: "1.0.0", reason: "malware" }),
    );
    expect((await alice.plugins.get.query({ pluginId: "reblock" })).distTags.latest).toBe("2.0.0");
    expect(await versionsOf("policy", ["reblock-latest"])).toEqual({ "reblock-latest": "2.0.0" });
  });
});

describe("secret config fields stay secret when a version stops marking them writeOnly", () => {
  const pia = () => trpc(stack, tokens.pia);
  const secret = "hunter2-do-not-leak";

  beforeAll(async () => {
    await release("vault", "1.0.0", {
      config: {
        type: "object",
        properties: { apiKey: { type: "string", writeOnly: true }, label: { type: "string" } },
        required: ["apiKey"],
      },
    });
    for (const updatePolicy of ["minor", "pinned"] as const) {
      await pia().installations.install.mutate({
        tenantId: "policy",
        pluginId: "vault",
        instanceId: `vault-${updatePolicy}`,
        updatePolicy,
        activate: true,
        config: { apiKey: secret, label: "main" },
      });
    }
    // 1.1.0 forgets writeOnly on apiKey.
    await release("vault", "1.1.0", {
      config: {
        type: "object",
        properties: { apiKey: { type: "string" }, label: { type: "string" } },
        required: ["apiKey"],
      },
    });
  });

  /** Where a public config goes: the instance as returned, the stored column, and the tenant's manifest. */
  async function exposed(instanceId: string): Promise<string> {
    const view = await pia().installations.get.query({ tenantId: "policy", instanceId });
    const stored = await row("policy", instanceId);
    const manifest = await pia().manifests.get.query({ tenantId: "policy" });
    return JSON.stringify([view, stored.config, manifest]);
  }

  it("an auto-update never copies the sealed secret into the public config or the tenant manifest", async () => {
    expect(await exposed("vault-minor")).not.toContain(secret);
  });

  it("refuses a manual upgrade that would store the sealed secret in clear (409 naming it), changing and exposing nothing", async () => {
    const before = await state("policy", "vault-pinned");
    const message = await expectTrpcError(
      pia().installations.upgrade.mutate({ tenantId: "policy", instanceId: "vault-pinned", version: "1.1.0" }),
      "CONFLICT",
      409,
    );
    expect(message).toBe(
      "Cannot move 'vault-pinned' from 1.0.0 to 1.1.0: config.apiKey: is secret now, and 1.1.0 would store it in clear",
    );
    expect(await state("policy", "vault-pinned")).toEqual(before);
    expect(await exposed("vault-pinned")).not.toContain(secret);
  });
});
