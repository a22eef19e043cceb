/**
 * Version signatures: every version published is signed with the registry's Ed25519 key
 * (SIGNING_KEYS), the signature is in the publish answer, the package document and each
 * tenant manifest entry, and verifies against the key set at GET /api/keys.
 */
import {
  filesDigest,
  type KeySet,
  type ManifestPlugin,
  type VersionSignature,
  verifyVersionSignature,
} from "@plugins/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import { install, publish, trpc } from "./helpers";
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
