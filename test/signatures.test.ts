/**
 * Version signatures: every version published is signed with the registry's Ed25519 key
 * (SIGNING_KEYS), the signature is in the publish answer, the package document and each
 * tenant manifest entry, and verifies against the key set at GET /api/keys.
 */

import { spawnSync } from "node:child_process";
import {
  filesDigest,
  type KeySet,
  type ManifestPlugin,
  signStatement,
  type VersionSignature,
  verifyVersionSignature,
} from "@plugins/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_SIGNING_KEYS } from "../scripts/local-stack/dev-token";
import { ROOT } from "../scripts/local-stack/worker-bundles";
import { type Cast, mintCast } from "./cast";
import { expectTrpcError, install, publish, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
}, 60_000);
afterAll(() => stack?.stop());

const keySet = async (target = stack) => (await (await fetch(`${target.url}/api/keys`)).json()) as KeySet;

describe("GET /api/keys", () => {
  it("lists the signing key in npm's shape, publicly and cacheable", async () => {
    const response = await fetch(`${stack.url}/api/keys`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    const { keys } = (await response.json()) as KeySet;
    expect(keys).toEqual([
      {
        keyid: "dev-2026",
        keytype: "ed25519",
        scheme: "ed25519",
        key: expect.stringMatching(/^MCowBQYDK2VwAyEA[A-Za-z0-9+/]{43}=$/),
        created: "2026-01-01T00:00:00.000Z",
        expires: null,
      },
    ]);
  });
});

describe("a published version", () => {
  it("is signed: in the publish answer, the package document and the tenant manifest, verifying against the key set", async () => {
    const published = await publish(stack, cast.alice, {
      id: "signed",
      name: "Signed",
      version: "1.0.0",
      category: "ui",
    });
    const signature = (published as unknown as { signature: VersionSignature }).signature;
    expect(signature).toMatchObject({ keyid: "dev-2026", statementVersion: 1 });

    const document = await trpc(stack, cast.alice).plugins.document.query({ pluginId: "signed" });
    const version = document.document?.versions["1.0.0"];
    if (!version || version.status === "blocked") throw new Error("no servable 1.0.0 in the document");
    expect(version.signature).toEqual(signature);
    const stated = {
      plugin: "signed",
      version: "1.0.0",
      entry: version.integrity,
      files: await filesDigest(version.files),
    };
    const keys = await keySet();
    expect(await verifyVersionSignature(stated, version.signature, keys)).toBeNull();
    // Any change to what was signed fails: another file digest, another entry.
    expect((await verifyVersionSignature({ ...stated, entry: "sha384-other" }, version.signature, keys))?.reason).toBe(
      "bad-signature",
    );

    const installed = await install(stack, cast.alice, "acme", {
      pluginId: "signed",
      instanceId: "signed",
      activate: true,
    });
    expect(installed.status).toBe(201);
    const manifest = (await (
      await fetch(`${stack.url}/api/tenants/acme/plugins/manifest`, {
        headers: { authorization: `Bearer ${cast.alice}` },
      })
    ).json()) as { plugins: ManifestPlugin[] };
    const entry = manifest.plugins.find((plugin) => plugin.instanceId === "signed");
    expect(entry?.signature).toEqual(signature);
    const fromEntry = { plugin: "signed", version: "1.0.0", entry: entry?.integrity ?? "", files: signature.files };
    expect(await verifyVersionSignature(fromEntry, entry?.signature, keys)).toBeNull();
  });
});

describe("without SIGNING_KEYS", () => {
  it("publishes unsigned versions and lists no key", async () => {
    const unsigned = await startStack({ pluginsBindings: { SIGNING_KEYS: "" } });
    try {
      const token = await unsigned.token({ sub: "alice", role: "editor", tenant: "acme" });
      const published = await publish(unsigned, token, {
        id: "plain",
        name: "Plain",
        version: "1.0.0",
        category: "ui",
      });
      expect((published as unknown as { signature: unknown }).signature).toBeNull();
      expect(await keySet(unsigned)).toEqual({ keys: [] });
    } finally {
      await unsigned.stop();
    }
  });

  it("refuses to run with a SIGNING_KEYS that is not a key list, never quoting it", async () => {
    const broken = await startStack({ pluginsBindings: { SIGNING_KEYS: '[{"keyid":"k","jwk":"secret-material"}]' } });
    try {
      // A misconfigured plugins worker refuses every request alike (config.ts requireValidConfig).
      const response = await fetch(`${broken.url}/api/keys`);
      expect(response.status).toBe(500);
      expect(await response.text()).not.toContain("secret-material");
    } finally {
      await broken.stop();
    }
  });
});

/** A key as SIGNING_KEYS holds it, with its private key for the test to sign with as that key once did. */
async function makeKey(keyid: string, created: string, expires: string | null) {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const { x, d } = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return { entry: { keyid, created, expires, jwk: { kty: "OKP", crv: "Ed25519", x, d } }, privateKey: pair.privateKey };
}

const manifestOf = async (target: Stack, token: string) =>
  (await (
    await fetch(`${target.url}/api/tenants/acme/plugins/manifest`, { headers: { authorization: `Bearer ${token}` } })
  ).json()) as { plugins: ManifestPlugin[]; withheld: { instanceId: string; reason: string }[] };

describe("key rotation, re-signing and the backfill", () => {
  let rotated: Stack;
  let crew: Cast;
  let retiring: Awaited<ReturnType<typeof makeKey>>;
  let expired: Awaited<ReturnType<typeof makeKey>>;

  /** Signs `id@version` as `key` did before the rotation, straight into its row. */
  async function signedEarlierBy(key: typeof retiring, pluginId: string, version: string) {
    const listed = await trpc(rotated, crew.root).versions.get.query({ pluginId, version });
    const stated = { plugin: pluginId, version, entry: listed.integrity, files: await filesDigest(listed.files) };
    const signature = {
      keyid: key.entry.keyid,
      statementVersion: 1,
      files: stated.files,
      sig: await signStatement(key.privateKey, stated),
      signedAt: "2026-05-01T00:00:00.000Z",
    };
    await rotated.db.query("update plugin_versions set signature = $1 where plugin_id = $2 and version = $3", [
      JSON.stringify(signature),
      pluginId,
      version,
    ]);
  }

  beforeAll(async () => {
    retiring = await makeKey("retiring-2026", "2025-01-01T00:00:00Z", "2099-01-01T00:00:00Z");
    expired = await makeKey("expired-2025", "2024-01-01T00:00:00Z", "2026-06-01T00:00:00Z");
    const current = JSON.parse(DEV_SIGNING_KEYS) as unknown[];
    rotated = await startStack({
      pluginsBindings: { SIGNING_KEYS: JSON.stringify([retiring.entry, expired.entry, ...current]) },
    });
    crew = await mintCast(rotated);
    for (const id of ["old-a", "old-b", "legacy", "stale", "fresh"]) {
      await publish(rotated, crew.alice, { id, name: id, version: "1.0.0", category: "ui" });
    }
    await signedEarlierBy(retiring, "old-a", "1.0.0");
    await signedEarlierBy(retiring, "old-b", "1.0.0");
    await signedEarlierBy(expired, "stale", "1.0.0");
    await rotated.db.query("update plugin_versions set signature = null where plugin_id = 'legacy'");
  }, 90_000);
  afterAll(() => rotated?.stop());

  it("lists the new key and the old ones until they expire; the newest signs; an old key's versions keep verifying", async () => {
    const keys = await keySet(rotated);
    expect(keys.keys.map((key) => key.keyid)).toEqual(["dev-2026", "retiring-2026"]);
    const fresh = await trpc(rotated, crew.root).versions.get.query({ pluginId: "fresh", version: "1.0.0" });
    expect(fresh.signature?.keyid).toBe("dev-2026");
    const old = await trpc(rotated, crew.root).versions.get.query({ pluginId: "old-a", version: "1.0.0" });
    const stated = { plugin: "old-a", version: "1.0.0", entry: old.integrity, files: await filesDigest(old.files) };
    expect(await verifyVersionSignature(stated, old.signature, keys)).toBeNull();
  });

  it("signs again, in pages, what a key about to expire signed, and the backfill signs what was never signed", async () => {
    const admin = trpc(rotated, crew.root);
    const first = await admin.signatures.resign.mutate({ signedBy: "retiring-2026", limit: 1 });
    expect(first).toEqual({ signed: 1, keyid: "dev-2026", next: { pluginId: "old-a", version: "1.0.0" } });
    const second = await admin.signatures.resign.mutate({
      signedBy: "retiring-2026",
      limit: 1,
      cursor: first.next ?? undefined,
    });
    expect(second).toEqual({ signed: 1, keyid: "dev-2026", next: { pluginId: "old-b", version: "1.0.0" } });
    expect(
      await admin.signatures.resign.mutate({ signedBy: "retiring-2026", cursor: second.next ?? undefined }),
    ).toEqual({
      signed: 0,
      keyid: "dev-2026",
      next: null,
    });
    expect(await admin.signatures.resign.mutate({ unsigned: true })).toEqual({
      signed: 1,
      keyid: "dev-2026",
      next: null,
    });

    const keys = await keySet(rotated);
    for (const pluginId of ["old-a", "old-b", "legacy"]) {
      const document = await admin.plugins.document.query({ pluginId });
      const version = document.document?.versions["1.0.0"];
      if (!version || version.status === "blocked") throw new Error(`no 1.0.0 of ${pluginId}`);
      expect(version.signature?.keyid, pluginId).toBe("dev-2026");
      const stated = {
        plugin: pluginId,
        version: "1.0.0",
        entry: version.integrity,
        files: await filesDigest(version.files),
      };
      expect(await verifyVersionSignature(stated, version.signature, keys), pluginId).toBeNull();
    }
    const { rows } = await rotated.db.query<{ action: string; resource_id: string }>(
      "select action, resource_id from audit_log where action = 'plugin_version.resign' order by id",
    );
    expect(rows.map((row) => row.resource_id)).toEqual(["retiring-2026", "retiring-2026", "retiring-2026", "unsigned"]);
  });

  it("refuses to re-sign with the key that signs now, and is for admins only", async () => {
    await expectTrpcError(
      trpc(rotated, crew.root).signatures.resign.mutate({ signedBy: "dev-2026" }),
      "BAD_REQUEST",
      400,
    );
    await expectTrpcError(trpc(rotated, crew.root).signatures.resign.mutate({}), "BAD_REQUEST", 400);
    await expectTrpcError(trpc(rotated, crew.alice).signatures.resign.mutate({ unsigned: true }), "FORBIDDEN", 403);
  });

  describe("a tenant that requires signatures", () => {
    it("is refused installs of versions signed by an expired or unknown key, or unsigned, with the reason (409), and nothing is stored", async () => {
      const editor = trpc(rotated, crew.alice);
      await editor.installations.install.mutate({ tenantId: "acme", pluginId: "fresh", activate: true });
      await editor.installations.install.mutate({
        tenantId: "acme",
        pluginId: "old-a",
        instanceId: "was-stale",
        activate: true,
      });
      expect(await editor.policies.set.mutate({ tenantId: "acme", requireSignatures: true })).toEqual({
        requireSignatures: true,
      });
      expect(await trpc(rotated, crew.vera).policies.get.query({ tenantId: "acme" })).toEqual({
        requireSignatures: true,
      });

      const before = await rotated.snapshot();
      const expiredRefusal = await expectTrpcError(
        editor.installations.install.mutate({ tenantId: "acme", pluginId: "stale" }),
        "CONFLICT",
        409,
      );
      expect(expiredRefusal).toBe(
        "Tenant 'acme' requires signed plugins: stale@1.0.0 is signed by key 'expired-2025', which expired on 2026-06-01T00:00:00.000Z",
      );
      await rotated.db.query("update plugin_versions set signature = null where plugin_id = 'legacy'");
      expect(
        await expectTrpcError(
          editor.installations.install.mutate({ tenantId: "acme", pluginId: "legacy" }),
          "CONFLICT",
          409,
        ),
      ).toBe("Tenant 'acme' requires signed plugins: legacy@1.0.0 is not signed");
      await rotated.db.query(
        "update plugin_versions set signature = jsonb_set(signature, '{keyid}', '\"nobody\"') where plugin_id = 'old-b'",
      );
      expect(
        await expectTrpcError(
          editor.installations.install.mutate({ tenantId: "acme", pluginId: "old-b" }),
          "CONFLICT",
          409,
        ),
      ).toBe("Tenant 'acme' requires signed plugins: old-b@1.0.0 is signed by key 'nobody', which is not listed");
      expect(await rotated.snapshot()).toEqual(before);
      // Another tenant demands nothing.
      await trpc(rotated, crew.bob).installations.install.mutate({ tenantId: "globex", pluginId: "legacy" });
    });

    it("has the manifest withhold a running instance whose version stops verifying, naming why", async () => {
      await rotated.db.query(
        "update plugin_versions set signature = jsonb_set(signature, '{sig}', to_jsonb(repeat('A', 86) || '==')) where plugin_id = 'old-a'",
      );
      // Any write to the tenant rebuilds its manifest; setting the policy again is one.
      await trpc(rotated, crew.alice).policies.set.mutate({ tenantId: "acme", requireSignatures: true });
      const manifest = await manifestOf(rotated, crew.alice);
      expect(manifest.plugins.map((plugin) => plugin.instanceId)).toEqual(["fresh"]);
      expect(manifest.withheld).toEqual([
        {
          instanceId: "was-stale",
          pluginId: "old-a",
          version: "1.0.0",
          reason: "the tenant requires signed plugins: old-a@1.0.0's signature does not match its content",
        },
      ]);
      await trpc(rotated, crew.alice).policies.set.mutate({ tenantId: "acme", requireSignatures: false });
      expect((await manifestOf(rotated, crew.alice)).plugins.map((plugin) => plugin.instanceId)).toEqual([
        "fresh",
        "was-stale",
      ]);
    });

    it("refuses an upgrade onto an unsigned version (409) and holds an automatic update onto one", async () => {
      const editor = trpc(rotated, crew.alice);
      await editor.policies.set.mutate({ tenantId: "acme", requireSignatures: true });
      await publish(rotated, crew.alice, { id: "fresh", name: "fresh", version: "1.1.0", category: "ui" });
      await rotated.db.query(
        "update plugin_versions set signature = null where plugin_id = 'fresh' and version = '1.1.0'",
      );
      expect(
        await expectTrpcError(
          editor.installations.upgrade.mutate({ tenantId: "acme", instanceId: "fresh", version: "1.1.0" }),
          "CONFLICT",
          409,
        ),
      ).toBe("Tenant 'acme' requires signed plugins: fresh@1.1.0 is not signed");
      // Following minor updates, the instance is caught up to 1.1.0 at once: held instead.
      await editor.installations.setUpdatePolicy.mutate({
        tenantId: "acme",
        instanceId: "fresh",
        updatePolicy: "minor",
      });
      const { rows } = await rotated.db.query<{ details: { problems: string[] } }>(
        "select details from audit_log where action = 'installation.update_held' order by id desc limit 1",
      );
      expect(rows[0]?.details.problems).toEqual(["Tenant 'acme' requires signed plugins: fresh@1.1.0 is not signed"]);
      expect(
        (await manifestOf(rotated, crew.alice)).plugins.find((plugin) => plugin.instanceId === "fresh")?.version,
      ).toBe("1.0.0");
    });
  });
  // Last: a child process blocks this one for seconds, and a connection left idle that long may be closed under the client.
  it("pnpm signatures runs the pages from the command line until none is left", async () => {
    // fresh@1.0.0, fresh@1.1.0 and legacy@1.0.0.
    await rotated.db.query("update plugin_versions set signature = null where plugin_id in ('fresh', 'legacy')");
    const run = spawnSync(
      "pnpm",
      ["-s", "signatures", "--unsigned", "--page", "1", "--registry", rotated.url, "--token", crew.root],
      { cwd: ROOT, encoding: "utf8", timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      [
        "signed 1 (1 so far) with 'dev-2026'",
        "signed 1 (2 so far) with 'dev-2026'",
        "signed 1 (3 so far) with 'dev-2026'",
        "signed 0 (3 so far) with 'dev-2026'",
        "done: 3 unsigned versions signed again",
        "",
      ].join("\n"),
    );
    const refused = spawnSync(
      "pnpm",
      ["-s", "signatures", "--unsigned", "--registry", rotated.url, "--token", crew.alice],
      {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(
      /^pnpm signatures: Role 'editor' may not do this; it needs admin \(request [0-9a-f-]{36}\)\n/,
    );
  });
});
