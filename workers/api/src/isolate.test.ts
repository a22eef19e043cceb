import { describe, expect, it } from "vitest";
import { buildIsolate, isolateOf } from "./isolate";

const env = (vars: Record<string, string> = {}) => ({ INTERNAL_TOKEN_SECRET: "s", ...vars }) as unknown as Env;

describe("isolateOf", () => {
  it("builds the isolate's state once and hands the same objects to every request", () => {
    const first = isolateOf(env());
    expect(isolateOf(env({ HOT_CACHE_MAX_BYTES: "5" }))).toBe(first);
    expect(first.hotObjects.limits.maxTotalBytes).toBe(16 * 1024 * 1024);
  });
});

// How each var is read and refused: config.test.ts.
describe("buildIsolate", () => {
  it.each([
    [{}, 16 * 1024 * 1024, 1024 * 1024],
    [{ HOT_CACHE_MAX_BYTES: "2048" }, 2048, 2048],
    [{ HOT_CACHE_MAX_BYTES: "0" }, 0, 0],
  ])("sizes the hot cache from %j: %i bytes in all, %i per object", (vars, total, perObject) => {
    const { limits } = buildIsolate(env(vars)).hotObjects;
    expect([limits.maxTotalBytes, limits.maxObjectBytes]).toEqual([total, perObject]);
  });

  it("refuses to build from a misconfigured env", () => {
    expect(() => buildIsolate(env({ HOT_CACHE_MAX_BYTES: "lots" }))).toThrow(
      'HOT_CACHE_MAX_BYTES must be 0 or a positive integer, got "lots"',
    );
  });

  it("holds CORS_ORIGINS as a set", () => {
    const { corsOrigins } = buildIsolate(env({ CORS_ORIGINS: " https://a.example , ,https://b.example" }));
    expect([...corsOrigins]).toEqual(["https://a.example", "https://b.example"]);
    expect(buildIsolate(env()).corsOrigins.size).toBe(0);
  });

  it("creates the JWKS key set once, on first use, and none without JWKS_URL", () => {
    const isolate = buildIsolate(env({ JWKS_URL: "https://idp.example/.well-known/jwks.json" }));
    expect(isolate.keySet()).toBe(isolate.keySet());
    expect(buildIsolate(env()).keySet()).toBeNull();
  });
});
