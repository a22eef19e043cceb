import type { Identity } from "@plugins/schema";
import { describe, expect, it } from "vitest";
import { VerifiedTokens } from "./verified-tokens";

const vera: Identity = { sub: "vera", role: "viewer", tenant: "acme", email: null };
const alice: Identity = { sub: "alice", role: "editor", tenant: "acme", email: null };

describe("VerifiedTokens", () => {
  it("answers a remembered token with its identity, and an unknown one with nothing", () => {
    const tokens = new VerifiedTokens(10, 60_000);
    tokens.remember("token-a", vera, 1_000_000, 0);
    expect(tokens.get("token-a", 1)).toBe(vera);
    expect(tokens.get("token-b", 1)).toBeUndefined();
  });

  it("forgets a token when it expires, or after the maximum age, whichever comes first", () => {
    const tokens = new VerifiedTokens(10, 60_000);
    tokens.remember("expires-soon", vera, 5_000, 0);
    tokens.remember("lives-long", alice, 10_000_000, 0);
    expect(tokens.get("expires-soon", 4_999)).toBe(vera);
    expect(tokens.get("expires-soon", 5_000)).toBeUndefined();
    expect(tokens.get("lives-long", 59_999)).toBe(alice);
    expect(tokens.get("lives-long", 60_000)).toBeUndefined();
  });

  it("keeps at most its limit, forgetting the oldest first", () => {
    const tokens = new VerifiedTokens(2, 60_000);
    tokens.remember("first", vera, 1_000_000, 0);
    tokens.remember("second", alice, 1_000_000, 0);
    tokens.remember("third", vera, 1_000_000, 0);
    expect(tokens.get("first", 1)).toBeUndefined();
    expect(tokens.get("second", 1)).toBe(alice);
    expect(tokens.get("third", 1)).toBe(vera);
  });
});
