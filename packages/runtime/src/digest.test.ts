import { describe, expect, it } from "vitest";
import { sha256, sha256Hex, sha384, strongEtag } from "./digest";
import { encodeHex } from "./encoding";

describe("sha256", () => {
  it('hashes "abc" to the FIPS 180-2 test vector', async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("hashes empty input", async () => {
    const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    expect(await sha256Hex("")).toBe(empty);
    expect(await sha256Hex(new Uint8Array(0))).toBe(empty);
  });

  it("hashes text as its UTF-8 bytes", async () => {
    expect(await sha256Hex("ü€")).toBe(await sha256Hex(Uint8Array.of(0xc3, 0xbc, 0xe2, 0x82, 0xac)));
    expect(await sha256Hex("ü€")).not.toBe(await sha256Hex(Uint8Array.of(0xfc, 0x20, 0xac)));
  });

  it("gives the 32 bytes that the hex spells", async () => {
    const digest = await sha256("abc");
    expect(digest).toBeInstanceOf(Uint8Array);
    expect(digest.byteLength).toBe(32);
    expect(encodeHex(digest)).toBe(await sha256Hex("abc"));
  });
});

describe("sha384", () => {
  it('hashes "abc" to the FIPS 180-2 test vector', async () => {
    expect(encodeHex(await sha384("abc"))).toBe(
      "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
    );
  });
});

describe("strongEtag", () => {
  it("quotes the first 128 bits of the text's SHA-256, the same for the same text", async () => {
    expect(await strongEtag("abc")).toBe('"ba7816bf8f01cfea414140de5dae2223"');
    expect(await strongEtag("abc")).toBe(await strongEtag("abc"));
    expect(await strongEtag("abd")).not.toBe(await strongEtag("abc"));
  });
});
