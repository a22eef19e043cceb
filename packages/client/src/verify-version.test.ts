import { filesDigest, type KeySet, publicKeyText, signStatement, type VersionSignature } from "@plugins/schema";
import { describe, expect, it } from "vitest";
import { verifyVersion } from "./verify-version";

const ED25519 = { name: "Ed25519" } as const;

const entryFile = { path: "index.js", integrity: "sha384-entry" };
const files = [entryFile, { path: "chunks/a.js", integrity: "sha384-chunk" }];

/** A key set of one key, and a package-document version of `chart@1.0.0` that key signed. */
async function signedVersion() {
  const pair = (await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"])) as CryptoKeyPair;
  const keys: KeySet = {
    keys: [
      {
        keyid: "k1",
        keytype: "ed25519",
        scheme: "ed25519",
        key: await publicKeyText(pair.publicKey),
        created: "2026-01-01T00:00:00.000Z",
        expires: null,
      },
    ],
  };
  const digest = await filesDigest(files);
  const signature: VersionSignature = {
    keyid: "k1",
    statementVersion: 1,
    files: digest,
    sig: await signStatement(pair.privateKey, {
      plugin: "chart",
      version: "1.0.0",
      entry: "sha384-entry",
      files: digest,
    }),
    signedAt: "2026-01-02T00:00:00.000Z",
  };
  return { keys, version: { integrity: "sha384-entry", files, signature } };
}

describe("verifyVersion", () => {
  it("verifies a version as the package document lists it", async () => {
    const { keys, version } = await signedVersion();
    expect(await verifyVersion("chart", "1.0.0", version, keys)).toBeNull();
  });

  it("computes the files digest itself: a file list changed since signing fails, whatever the signature says", async () => {
    const { keys, version } = await signedVersion();
    const changed = { ...version, files: [entryFile, { path: "chunks/a.js", integrity: "sha384-other" }] };
    expect(await verifyVersion("chart", "1.0.0", changed, keys)).toMatchObject({ reason: "bad-signature" });
  });

  it("refuses another plugin's or version's name, an entry of other bytes, and no signature", async () => {
    const { keys, version } = await signedVersion();
    expect(await verifyVersion("other", "1.0.0", version, keys)).toMatchObject({ reason: "bad-signature" });
    expect(await verifyVersion("chart", "1.0.1", version, keys)).toMatchObject({ reason: "bad-signature" });
    const entry = { ...version, integrity: "sha384-swapped" };
    expect(await verifyVersion("chart", "1.0.0", entry, keys)).toMatchObject({ reason: "bad-signature" });
    expect(await verifyVersion("chart", "1.0.0", { ...version, signature: null }, keys)).toMatchObject({
      reason: "unsigned",
    });
  });

  it("refuses a key the key set does not list", async () => {
    const { version } = await signedVersion();
    expect(await verifyVersion("chart", "1.0.0", version, { keys: [] })).toMatchObject({ reason: "unknown-key" });
  });
});
