import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_CONFIG_ENCRYPTION_KEY } from "../scripts/local-stack/dev-token";
import { type Cast, mintCast } from "./cast";
import { expectTrpcError, openSealed, pluginMetadata, publish, sealingKeyId, sealWith, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

/** The stack seals under a new key; the dev key is retired, as after a rotation. */
const NEW_KEY = randomBytes(32).toString("base64");
const schema = {
  type: "object",
  properties: { host: { type: "string" }, apiKey: { type: "string", writeOnly: true } },
  required: ["apiKey"],
};

let stack: Stack;
let cast: Cast;
let rowId: string;

beforeAll(async () => {
  stack = await startStack({
    pluginsBindings: { CONFIG_ENCRYPTION_KEY: NEW_KEY, CONFIG_ENCRYPTION_RETIRED_KEYS: DEV_CONFIG_ENCRYPTION_KEY },
  });
  cast = await mintCast(stack);
  await publish(stack, cast.root, pluginMetadata({ id: "vault", config: schema }));
  const installed = await trpc(stack, cast.alice).installations.install.mutate({
    tenantId: "acme",
    pluginId: "vault",
    config: { host: "a", apiKey: "k-1" },
  });
  rowId = installed.id;
});
afterAll(() => stack?.stop());

async function storedSealed(): Promise<string> {
  const { rows } = await stack.db.query<{ sealed_secrets: string }>(
    "select sealed_secrets from installations where id = $1",
    [rowId],
  );
  return rows[0]?.sealed_secrets ?? "";
}

async function sealUnderRetiredKey(values: Record<string, unknown>) {
  await stack.db.query("update installations set sealed_secrets = $1 where id = $2", [
    await sealWith(DEV_CONFIG_ENCRYPTION_KEY, values, rowId),
    rowId,
  ]);
}

describe("rotating CONFIG_ENCRYPTION_KEY", () => {
  it("seals new values under the current key", async () => {
    expect(await openSealed(await storedSealed(), rowId, NEW_KEY)).toEqual({ apiKey: "k-1" });
  });

  it("opens a value a retired key sealed, and seals it under the current key on the next write", async () => {
    await sealUnderRetiredKey({ apiKey: "old" });
    const configured = await trpc(stack, cast.alice).installations.configure.mutate({
      tenantId: "acme",
      instanceId: "vault",
      config: { host: "b" },
    });
    expect(configured.secretsSet).toEqual(["apiKey"]);
    expect(await openSealed(await storedSealed(), rowId, NEW_KEY)).toEqual({ apiKey: "old" });
  });

  it("reseals every retired key's value on demand, so the retired key can go", async () => {
    await sealUnderRetiredKey({ apiKey: "older" });
    expect((await storedSealed()).split(".")[1]).toBe(sealingKeyId(DEV_CONFIG_ENCRYPTION_KEY));
    const outcome = await trpc(stack, cast.root).installations.resealSecrets.mutate({});
    expect(outcome).toEqual({ resealed: 1, unreadable: [], next: null, remaining: 0, unopenable: 0 });
    expect(await openSealed(await storedSealed(), rowId, NEW_KEY)).toEqual({ apiKey: "older" });
    expect(await trpc(stack, cast.root).installations.resealSecrets.mutate({})).toEqual({
      resealed: 0,
      unreadable: [],
      next: null,
      remaining: 0,
      unopenable: 0,
    });
    const { rows } = await stack.db.query<{ tenant_id: string; details: Record<string, string> }>(
      "select tenant_id, details from audit_log where action = 'installation.reseal_secrets' and resource_id = $1",
      [rowId],
    );
    expect(rows).toEqual([
      {
        tenant_id: "acme",
        details: {
          instanceId: "vault",
          fromKey: sealingKeyId(DEV_CONFIG_ENCRYPTION_KEY),
          toKey: sealingKeyId(NEW_KEY),
        },
      },
    ]);
  });

  it("pages with a cursor, so values that do not open cannot stall it", async () => {
    const second = await trpc(stack, cast.alice).installations.install.mutate({
      tenantId: "acme",
      pluginId: "vault",
      instanceId: "vault-2",
      config: { apiKey: "k-2" },
    });
    // Under the retired key, but tampered: it names the key and does not open.
    const tampered = `${(await sealWith(DEV_CONFIG_ENCRYPTION_KEY, { apiKey: "x" }, second.id)).slice(0, -4)}AAAA`;
    await stack.db.query("update installations set sealed_secrets = $1 where id = $2", [tampered, second.id]);
    await sealUnderRetiredKey({ apiKey: "again" });
    const ids = [rowId, second.id].sort();
    const first = await trpc(stack, cast.root).installations.resealSecrets.mutate({ limit: 1 });
    expect(first.next).toBe(ids[0]);
    const last = await trpc(stack, cast.root).installations.resealSecrets.mutate({
      limit: 1,
      after: first.next ?? "",
    });
    expect(last.next).toBe(ids[1]);
    const done = await trpc(stack, cast.root).installations.resealSecrets.mutate({
      limit: 1,
      after: last.next ?? "",
    });
    expect(done).toEqual({ resealed: 0, unreadable: [], next: null, remaining: 1, unopenable: 0 });
    expect([...first.unreadable, ...last.unreadable]).toEqual([second.id]);
    expect(first.resealed + last.resealed).toBe(1);
    expect(await openSealed(await storedSealed(), rowId, NEW_KEY)).toEqual({ apiKey: "again" });
    await trpc(stack, cast.alice).installations.uninstall.mutate({ tenantId: "acme", instanceId: "vault-2" });
  });

  it("counts a value sealed under a key configured neither way as unopenable, and leaves it as it is", async () => {
    const foreign = await sealWith(randomBytes(32).toString("base64"), { apiKey: "lost" }, rowId);
    await stack.db.query("update installations set sealed_secrets = $1 where id = $2", [foreign, rowId]);
    const outcome = await trpc(stack, cast.root).installations.resealSecrets.mutate({ limit: 10 });
    expect(outcome).toEqual({ resealed: 0, unreadable: [], next: null, remaining: 0, unopenable: 1 });
    expect(await storedSealed()).toBe(foreign);
  });

  it("is for admins only", async () => {
    await expectTrpcError(trpc(stack, cast.alice).installations.resealSecrets.mutate({}), "FORBIDDEN", 403);
  });
});

describe("without CONFIG_ENCRYPTION_KEY", () => {
  let keyless: Stack;
  let admin: string;

  beforeAll(async () => {
    keyless = await startStack({ pluginsBindings: { CONFIG_ENCRYPTION_KEY: "" } });
    admin = (await mintCast(keyless)).root;
  });
  afterAll(() => keyless?.stop());

  it("refuses to store a secret with a bare 500 that names nothing", async () => {
    await publish(keyless, admin, pluginMetadata({ id: "vault", config: schema }));
    const message = await expectTrpcError(
      trpc(keyless, admin).installations.install.mutate({
        tenantId: "acme",
        pluginId: "vault",
        config: { apiKey: "k" },
      }),
      "INTERNAL_SERVER_ERROR",
      500,
    );
    expect(message).toBe("Internal error");
    expect((await trpc(keyless, admin).installations.list.query({ tenantId: "acme" })).length).toBe(0);
  });

  it("still publishes a version its followers cannot move to, and audits that they were not moved", async () => {
    const plain = { type: "object", properties: { host: { type: "string", default: "h" } } };
    await publish(keyless, admin, pluginMetadata({ id: "drifter", version: "1.0.0", config: plain }));
    await trpc(keyless, admin).installations.install.mutate({
      tenantId: "acme",
      pluginId: "drifter",
      updatePolicy: "minor",
    });
    // 1.1.0 brings a secret with a default: following it means sealing, which needs the key.
    const withSecret = {
      type: "object",
      properties: { ...plain.properties, token: { type: "string", writeOnly: true, default: "t" } },
    };
    const published = await publish(
      keyless,
      admin,
      pluginMetadata({ id: "drifter", version: "1.1.0", config: withSecret }),
    );
    expect(published.version).toBe("1.1.0");
    // The pass of the UPDATES queue fails for good (a retry would fail alike): audited, not retried.
    const failures = async () =>
      (
        await keyless.db.query<{ action: string; resource_id: string }>(
          "select action, resource_id from audit_log where action = 'plugin_version.follow_failed'",
        )
      ).rows;
    await expect.poll(failures).toEqual([{ action: "plugin_version.follow_failed", resource_id: "drifter@1.1.0" }]);
    const instance = await trpc(keyless, admin).installations.get.query({ tenantId: "acme", instanceId: "drifter" });
    expect(instance.version).toBe("1.0.0");
  });
});
