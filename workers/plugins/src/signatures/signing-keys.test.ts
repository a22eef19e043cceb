import { describe, expect, it } from "vitest";
import { currentSigningKey, publicKeySet, type SigningKey } from "./signing-keys";

const jwk = { kty: "OKP" as const, crv: "Ed25519" as const, x: "qMcuzi32ghopfsItDyvCoTtS2CGJ80DV_VMksIjPbtY" };
const key = (keyid: string, created: string, expires: string | null, withPrivate = true): SigningKey => ({
  keyid,
  created,
  expires,
  jwk: withPrivate ? { ...jwk, d: "WFbqmy85PjkfbnB2HhwTAboQCdT9fgOTSF2mzRhlkyw" } : jwk,
});

const keys = [
  key("old", "2025-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
  key("current", "2026-06-01T00:00:00Z", null),
  key("announced", "2027-03-01T00:00:00Z", null),
  key("gone", "2024-01-01T00:00:00Z", "2025-06-01T00:00:00Z"),
  key("public-only", "2026-11-01T00:00:00Z", null, false),
];

describe("currentSigningKey", () => {
  it("is the newest key created by now, unexpired, with its private half", () => {
    expect(currentSigningKey(keys, new Date("2026-12-01T00:00:00Z"))?.keyid).toBe("current");
    expect(currentSigningKey(keys, new Date("2027-04-01T00:00:00Z"))?.keyid).toBe("announced");
    expect(currentSigningKey(keys, new Date("2025-03-01T00:00:00Z"))?.keyid).toBe("old");
    expect(currentSigningKey([], new Date())).toBeNull();
    expect(currentSigningKey([keys[4] as SigningKey], new Date("2026-12-01T00:00:00Z"))).toBeNull();
  });
});

describe("publicKeySet", () => {
  it("lists every key not yet expired, announced ones included, newest first, with no private half", async () => {
    const { keys: listed } = await publicKeySet(keys, new Date("2026-12-01T00:00:00Z"));
    expect(listed.map((entry) => entry.keyid)).toEqual(["announced", "public-only", "current", "old"]);
    expect(listed[3]).toEqual({
      keyid: "old",
      keytype: "ed25519",
      scheme: "ed25519",
      key: "MCowBQYDK2VwAyEAqMcuzi32ghopfsItDyvCoTtS2CGJ80DV/VMksIjPbtY=",
      created: "2025-01-01T00:00:00.000Z",
      expires: "2027-01-01T00:00:00.000Z",
    });
    expect(JSON.stringify(listed)).not.toContain("WFbqmy85");
  });
});
