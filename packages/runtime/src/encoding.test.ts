import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64, encodeBase64url, encodeHex } from "./encoding";

const bytes = (text: string) => new TextEncoder().encode(text);

/** RFC 4648 §10: the same inputs for every encoding, from empty to two whole groups of three. */
const VECTORS: Array<[input: string, base16: string, base64: string]> = [
  ["", "", ""],
  ["f", "66", "Zg=="],
  ["fo", "666f", "Zm8="],
  ["foo", "666f6f", "Zm9v"],
  ["foob", "666f6f62", "Zm9vYg=="],
  ["fooba", "666f6f6261", "Zm9vYmE="],
  ["foobar", "666f6f626172", "Zm9vYmFy"],
];

describe("encodeHex", () => {
  it.each(VECTORS)("encodes %j as RFC 4648 base16, in lowercase", (input, base16) => {
    expect(encodeHex(bytes(input))).toBe(base16);
  });

  it("writes two digits for every byte, leading zeros included", () => {
    expect(encodeHex(Uint8Array.of(0, 1, 15, 16, 171, 255))).toBe("00010f10abff");
  });
});

describe("encodeBase64", () => {
  it.each(VECTORS)("encodes %j as the RFC 4648 test vector, padded", (input, _base16, base64) => {
    expect(encodeBase64(bytes(input))).toBe(base64);
  });

  it("uses the standard alphabet's + and /", () => {
    expect(encodeBase64(Uint8Array.of(0xfb, 0xff, 0xbf))).toBe("+/+/");
  });
});

describe("encodeBase64url", () => {
  it.each(VECTORS)("encodes %j as the RFC 4648 test vector, unpadded", (input, _base16, base64) => {
    expect(encodeBase64url(bytes(input))).toBe(base64.replaceAll("=", ""));
  });

  it("uses the URL alphabet's - and _ where base64 has + and /", () => {
    expect(encodeBase64url(Uint8Array.of(0xfb, 0xff, 0xbf))).toBe("-_-_");
    expect(encodeBase64url(Uint8Array.of(0xfb, 0xff))).toBe("-_8");
  });

  it("encodes a buffer too large to spread as arguments in one call", () => {
    // V8 refuses a spread of 2^17 arguments; a large sealed config is longer.
    const large = new Uint8Array(1 << 18).map((_, index) => index % 251);
    const encoded = encodeBase64url(large);
    expect(encoded).toHaveLength(Math.ceil((large.length * 4) / 3));
    const decoded = decodeBase64(encoded);
    expect(decoded.length).toBe(large.length);
    expect(decoded.every((byte, index) => byte === large[index])).toBe(true);
  });
});

describe("decodeBase64", () => {
  it.each(VECTORS)("decodes the RFC 4648 vector of %j, padded or not", (input, _base16, base64) => {
    expect(decodeBase64(base64)).toEqual(bytes(input));
    expect(decodeBase64(base64.replaceAll("=", ""))).toEqual(bytes(input));
  });

  it("reads both alphabets, so a key pasted as base64 or base64url is the same key", () => {
    expect(decodeBase64("+/+/")).toEqual(Uint8Array.of(0xfb, 0xff, 0xbf));
    expect(decodeBase64("-_-_")).toEqual(Uint8Array.of(0xfb, 0xff, 0xbf));
  });

  it("ignores ASCII white space, as in a key wrapped over lines", () => {
    expect(decodeBase64(" Zm9v\nYmFy\t")).toEqual(bytes("foobar"));
  });

  it("round-trips every byte value and every length up to three whole groups", () => {
    const all = Uint8Array.from({ length: 256 }, (_, index) => index);
    expect(decodeBase64(encodeBase64(all))).toEqual(all);
    expect(decodeBase64(encodeBase64url(all))).toEqual(all);
    for (let length = 0; length <= 9; length += 1) {
      const slice = all.slice(250 - length, 250);
      expect(decodeBase64(encodeBase64url(slice))).toEqual(slice);
      expect(decodeBase64(encodeBase64(slice))).toEqual(slice);
    }
  });

  it.each([
    ["a character outside both alphabets", "not base64 at all!"],
    ["a percent-encoded value", "Zm9v%3D"],
    ["a length that leaves one character over", "Zm9vY"],
    ["padding in the middle", "Zm=9v"],
    ["too little padding for its length", "Zg="],
    ["a dot-separated token as one value", "Zm9v.YmFy"],
  ])("refuses %s with a SyntaxError", (_label, text) => {
    expect(() => decodeBase64(text)).toThrow(new SyntaxError("not base64 or base64url text"));
  });
});
