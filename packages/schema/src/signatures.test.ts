import { describe, expect, it } from "vitest";
import {
  filesDigest,
  type KeySet,
  publicKeyText,
  signStatement,
  statementBytes,
  verifyVersionSignature,
} from "./signatures";

const ED25519 = { name: "Ed25519" } as const;

async function signingKey(keyid: string, expires: string | null = null) {
  const pair = (await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"])) as CryptoKeyPair;
  const listed = {
    keyid,
    keytype: "ed25519" as const,
    scheme: "ed25519" as const,
    key: await publicKeyText(pair.publicKey),
    created: "2026-01-01T00:00:00.000Z",
    expires,
  };
  return { pair, listed };
}

const entry = { path: "index.js", integrity: "sha384-entry" };
const manifest = { path: "plugin.json", integrity: "sha384-manifest" };
const files = [entry, manifest];

describe("the statement", () => {
  it("is canonical JSON naming its version, whatever the file order", async () => {
    const digest = await filesDigest(files);
    expect(await filesDigest([...files].reverse())).toBe(digest);
    expect(digest).toMatch(/^sha384-[A-Za-z0-9+/]{64}$/);
    const text = new TextDecoder().decode(
      statementBytes({ plugin: "chart", version: "1.0.0", entry: "sha384-entry", files: digest }),
    );
    expect(text).toBe(
      `{"entry":"sha384-entry","files":"${digest}","plugin":"chart","statementVersion":1,"version":"1.0.0"}`,
    );
  });

  it("changes with any path or digest", async () => {
    const digest = await filesDigest(files);
    expect(await filesDigest([{ ...entry, integrity: "sha384-other" }, manifest])).not.toBe(digest);
    expect(await filesDigest([{ ...entry, path: "main.js" }, manifest])).not.toBe(digest);
  });
});

describe("verifyVersionSignature", () => {
  it("accepts a version signed by a listed key, and refuses every other case with its reason", async () => {
    const current = await signingKey("k2026");
    const expired = await signingKey("k2025", "2026-06-01T00:00:00.000Z");
    const keys: KeySet = { keys: [current.listed, expired.listed] };
    const stated = { plugin: "chart", version: "1.0.0", entry: "sha384-entry", files: await filesDigest(files) };
    const now = new Date("2026-12-01T00:00:00.000Z");
    const signed = (keyid: string, sig: string) => ({
      keyid,
      statementVersion: 1,
      files: stated.files,
      sig,
      signedAt: now.toISOString(),
    });
    const good = signed("k2026", await signStatement(current.pair.privateKey, stated));
    expect(await verifyVersionSignature(stated, good, keys, now)).toBeNull();

    const reasons = async (signature: Parameters<typeof verifyVersionSignature>[1], against = stated) =>
      (await verifyVersionSignature(against, signature, keys, now))?.reason;
    expect(await reasons(null)).toBe("unsigned");
    expect(await reasons({ ...good, keyid: "nobody" })).toBe("unknown-key");
    expect(await reasons(signed("k2025", await signStatement(expired.pair.privateKey, stated)))).toBe("expired-key");
    expect(await reasons({ ...good, statementVersion: 2 })).toBe("unsupported-statement");
    // Another version's statement, another key's signature, a tampered files digest or garbage.
    expect(await reasons(good, { ...stated, version: "1.0.1" })).toBe("bad-signature");
    expect(await reasons(good, { ...stated, entry: "sha384-tampered" })).toBe("bad-signature");
    expect(await reasons({ ...good, sig: await signStatement(expired.pair.privateKey, stated) })).toBe("bad-signature");
    expect(await reasons({ ...good, files: "sha384-other" })).toBe("bad-signature");
    expect(await reasons({ ...good, sig: "not base64!" })).toBe("bad-signature");
    expect((await verifyVersionSignature(stated, { ...good, keyid: "k2025" }, keys, now))?.message).toBe(
      "chart@1.0.0 is signed by key 'k2025', which expired on 2026-06-01T00:00:00.000Z",
    );
  });
});
