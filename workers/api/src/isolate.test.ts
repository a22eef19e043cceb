import { describe, expect, it } from "vitest";
import type { Env } from "./env";
import { buildIsolate, isolateOf } from "./isolate";

const env = (vars: Partial<Env> = {}) => ({ INTERNAL_TOKEN_SECRET: "s", ...vars }) as Env;

describe("isolateOf", () => {
  it("builds the isolate's state once and hands the same objects to every request", () => {
    const first = isolateOf(env());
    expect(isolateOf(env({ HOT_CACHE_MAX_BYTES: "5" }))).toBe(first);
    expect(first.hotObjects.limits.maxTotalBytes).toBe(16 * 1024 * 1024);
  });
});

describe("buildIsolate", () => {
  it.each([
    [undefined, 16 * 1024 * 1024, 1024 * 1024],
    ["2048", 2048, 2048],
    ["0", 0, 0],
    ["-1", 16 * 1024 * 1024, 1024 * 1024],
    ["lots", 16 * 1024 * 1024, 1024 * 1024],
  ])("reads HOT_CACHE_MAX_BYTES %j as %i bytes in all, %i per object", (configured, total, perObject) => {
    const { limits } = buildIsolate(env({ HOT_CACHE_MAX_BYTES: configured })).hotObjects;
    expect([limits.maxTotalBytes, limits.maxObjectBytes]).toEqual([total, perObject]);
  });

  it("reads CORS_ORIGINS as a comma-separated list", () => {
    const { corsOrigins } = buildIsolate(env({ CORS_ORIGINS: " https://a.example , ,https://b.example" }));
    expect([...corsOrigins]).toEqual(["https://a.example", "https://b.example"]);
    expect(buildIsolate(env()).corsOrigins.size).toBe(0);
  });

  it("creates the JWKS key set once, on first use, and none without JWKS_URL", () => {
    const isolate = buildIsolate(env({ JWKS_URL: "https://idp.example/.well-known/jwks.json" }));
    expect(isolate.keySet()).toBe(isolate.keySet());
    expect(buildIsolate(env()).keySet()).toBeNull();
  });

  it("leaves a malformed JWKS_URL to fail the token checks, not the isolate", () => {
    const isolate = buildIsolate(env({ JWKS_URL: "not a url" }));
    expect(() => isolate.keySet()).toThrow();
  });
});
