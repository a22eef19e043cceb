import { jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { hs256Key } from "./hmac-keys";

describe("hs256Key", () => {
  it("imports a secret once and signs and verifies what jose signs with the raw bytes", async () => {
    const key = await hs256Key("shared-secret");
    expect(await hs256Key("shared-secret")).toBe(key);
    const token = await new SignJWT({ sub: "x" })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode("shared-secret"));
    expect((await jwtVerify(token, key)).payload.sub).toBe("x");
    const signed = await new SignJWT({ sub: "y" }).setProtectedHeader({ alg: "HS256" }).sign(key);
    await expect(jwtVerify(signed, await hs256Key("another-secret"))).rejects.toThrow();
  });
});
