import { decodeBase64, encodeBase64, encodeBase64url } from "@plugins/runtime";
import { describe, expect, it } from "vitest";
import { SecretBox, secretBox } from "./secrets";

function randomKey(bytes = 32): string {
  return encodeBase64(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function box(key = randomKey()): Promise<SecretBox> {
  const opened = await SecretBox.fromKey(key);
  if (!opened) throw new Error("expected a box");
  return opened;
}

const SEALED = /^v1\.([A-Za-z0-9_-]{11})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]+)$/;
const ROW = "0b8f3c52-6c1e-4b5e-9d0a-1f2e3d4c5b6a";
const OTHER_ROW = "7d6e5f40-3a2b-4c1d-8e9f-a0b1c2d3e4f5";

/** `sealed` with one character of its ciphertext (or iv) changed. */
function flip(sealed: string, part: 2 | 3): string {
  const parts = sealed.split(".");
  const text = parts[part] ?? "";
  const at = Math.floor(text.length / 2);
  parts[part] = `${text.slice(0, at)}${text[at] === "A" ? "B" : "A"}${text.slice(at + 1)}`;
  return parts.join(".");
}

describe("SecretBox", () => {
  it("opens what it sealed, for the same instance", async () => {
    const secrets = await box();
    const values = { apiToken: "tok-123", nested: { a: [1, 2] }, unicode: "ünï €" };
    const sealed = await secrets.seal(values, ROW);
    expect(sealed).toMatch(SEALED);
    expect(await secrets.open(sealed, ROW)).toEqual(values);
  });

  it("does not show the plaintext in the sealed value, not even base64-decoded", async () => {
    const sealed = await (await box()).seal({ apiToken: "plain-secret-value" }, ROW);
    expect(sealed).not.toContain("plain-secret-value");
    const ciphertext = sealed.split(".")[3] ?? "";
    expect(String.fromCharCode(...decodeBase64(ciphertext))).not.toContain("plain-secret-value");
    // AES-GCM: as long as the plaintext, plus the 16-byte tag.
    expect(decodeBase64(ciphertext).byteLength).toBe(JSON.stringify({ apiToken: "plain-secret-value" }).length + 16);
  });

  it("uses a fresh 12-byte IV each time, so equal values seal differently", async () => {
    const secrets = await box();
    const sealed = await Promise.all(Array.from({ length: 20 }, () => secrets.seal({ apiToken: "same" }, ROW)));
    const ivs = sealed.map((value) => SEALED.exec(value)?.[2]);
    expect(new Set(ivs).size).toBe(20);
    expect(new Set(sealed).size).toBe(20);
    for (const iv of ivs) expect(decodeBase64(iv ?? "").byteLength).toBe(12);
    for (const value of sealed) expect(await secrets.open(value, ROW)).toEqual({ apiToken: "same" });
  });

  it("does not open a value bound to another instance", async () => {
    const secrets = await box();
    const sealed = await secrets.seal({ apiToken: "t" }, ROW);
    await expect(secrets.open(sealed, OTHER_ROW)).rejects.toThrow();
    await expect(secrets.open(sealed, "")).rejects.toThrow();
  });

  it("does not open a value sealed under another key", async () => {
    const sealed = await (await box()).seal({ apiToken: "t" }, ROW);
    await expect((await box()).open(sealed, ROW)).rejects.toThrow();
  });

  it("does not open a tampered ciphertext or IV", async () => {
    const secrets = await box();
    const sealed = await secrets.seal({ apiToken: "t" }, ROW);
    await expect(secrets.open(flip(sealed, 3), ROW)).rejects.toThrow();
    await expect(secrets.open(flip(sealed, 2), ROW)).rejects.toThrow();
    const [format, keyId, iv, ciphertext] = sealed.split(".");
    await expect(secrets.open(`${format}.${keyId}.${iv}.${ciphertext?.slice(0, -4)}`, ROW)).rejects.toThrow();
  });

  it("refuses a value in another format", async () => {
    const secrets = await box();
    const sealed = await secrets.seal({ apiToken: "t" }, ROW);
    const [, keyId, iv, ciphertext] = sealed.split(".");
    for (const value of [
      `v2.${keyId}.${iv}.${ciphertext}`,
      `v1.${iv}.${ciphertext}`,
      `v1.${keyId}..${ciphertext}`,
      `v1.${keyId}.${iv}.${ciphertext}.extra`,
      "",
      "plain",
    ]) {
      await expect(secrets.open(value, ROW)).rejects.toThrow("sealed secrets are in an unknown format");
    }
  });

  it("seals the largest secret a config may hold (64 KiB of JSON text, multi-byte characters)", async () => {
    const secrets = await box();
    // 60 000 characters of JSON text pass the 64 KiB config limit, and are 180 000 bytes of UTF-8.
    const values = { apiToken: "€".repeat(60_000) };
    const sealed = await secrets.seal(values, ROW);
    expect(await secrets.open(sealed, ROW)).toEqual(values);
  });

  describe("fromKey", () => {
    it("is null when no key is configured", async () => {
      expect(await SecretBox.fromKey(undefined)).toBeNull();
      expect(await SecretBox.fromKey("")).toBeNull();
    });

    it.each([16, 24, 31, 33, 64])("refuses a key of %i bytes", async (bytes) => {
      await expect(SecretBox.fromKey(randomKey(bytes))).rejects.toThrow(
        "CONFIG_ENCRYPTION_KEY must hold keys of 32 bytes, base64-encoded",
      );
    });

    it("refuses a key that is not base64", async () => {
      await expect(SecretBox.fromKey("not base64 at all!")).rejects.toThrow();
    });

    it("accepts a 32-byte key in base64 or base64url, with surrounding whitespace", async () => {
      const bytes = new Uint8Array(32).fill(0xfb);
      const base64 = encodeBase64(bytes);
      const base64url = encodeBase64url(bytes);
      const sealed = await (await box(base64)).seal({ a: 1 }, ROW);
      expect(await (await box(base64url)).open(sealed, ROW)).toEqual({ a: 1 });
      expect(await (await box(`  ${base64}\n`)).open(sealed, ROW)).toEqual({ a: 1 });
    });

    it("returns the same box for the same key", async () => {
      const key = randomKey();
      expect(await SecretBox.fromKey(key)).toBe(await SecretBox.fromKey(key));
    });
  });

  describe("secretBox", () => {
    it("is the box of the configured key", async () => {
      const key = randomKey();
      const sealed = await (await secretBox({ configKeys: { current: key, retired: [] } })).seal({ a: 1 }, ROW);
      expect(await (await box(key)).open(sealed, ROW)).toEqual({ a: 1 });
    });

    it("says which setting is missing when there is no key", async () => {
      await expect(secretBox({ configKeys: { current: undefined, retired: [] } })).rejects.toThrow(
        "CONFIG_ENCRYPTION_KEY is not set",
      );
    });
  });
});

describe("rotating CONFIG_ENCRYPTION_KEY", () => {
  it("seals under the new key and still opens what a retired key sealed", async () => {
    const [oldKey, newKey] = [randomKey(), randomKey()];
    const before = await (await box(oldKey)).seal({ apiToken: "old" }, ROW);
    const rotated = await SecretBox.fromKey(newKey, [oldKey]);
    expect(await rotated?.open(before, ROW)).toEqual({ apiToken: "old" });
    const after = await rotated?.seal({ apiToken: "new" }, ROW);
    expect(after?.split(".")[1]).not.toBe(before.split(".")[1]);
    expect(await (await box(newKey)).open(after ?? "", ROW)).toEqual({ apiToken: "new" });
  });

  it("names the key it lacks once a retired key is dropped", async () => {
    const [oldKey, newKey] = [randomKey(), randomKey()];
    const before = await (await box(oldKey)).seal({ apiToken: "old" }, ROW);
    const keyId = before.split(".")[1];
    await expect((await box(newKey)).open(before, ROW)).rejects.toThrow(
      `sealed secrets were sealed under key ${keyId}, which is not configured`,
    );
  });
});

describe("a malformed retired key", () => {
  it("is ignored, so sealing under a good current key goes on", async () => {
    const current = randomKey();
    const rotated = await SecretBox.fromKey(current, ["not-a-key"]);
    expect(rotated?.retiredKeyIds).toEqual([]);
    const sealed = await rotated?.seal({ apiToken: "t" }, ROW);
    expect(await (await box(current)).open(sealed ?? "", ROW)).toEqual({ apiToken: "t" });
  });
});
