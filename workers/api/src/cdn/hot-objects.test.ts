import { describe, expect, it } from "vitest";
import { type HotObject, HotObjectCache } from "./hot-objects";

const object = (size: number, storedAt = 0): HotObject => ({
  bytes: new Uint8Array(size),
  etag: `"${size}"`,
  headers: [],
  isEntry: false,
  storedAt,
});

describe("HotObjectCache", () => {
  const limits = { maxObjectBytes: 100, maxTotalBytes: 250, ttlMs: 1000 };

  it("returns what it holds and counts its bytes", () => {
    const cache = new HotObjectCache(limits);
    cache.set("a", object(100));
    expect(cache.get("a", 10)?.bytes.byteLength).toBe(100);
    expect(cache.totalBytes).toBe(100);
  });

  it("never holds an object over the per-object limit", () => {
    const cache = new HotObjectCache(limits);
    cache.set("big", object(101));
    expect(cache.get("big", 10)).toBeUndefined();
    expect(cache.totalBytes).toBe(0);
  });

  it("evicts the least recently used objects to stay within the byte budget", () => {
    const cache = new HotObjectCache(limits);
    cache.set("a", object(100));
    cache.set("b", object(100));
    cache.get("a", 10);
    cache.set("c", object(100));
    expect(cache.get("b", 10)).toBeUndefined();
    expect(cache.get("a", 10)).toBeDefined();
    expect(cache.get("c", 10)).toBeDefined();
    expect(cache.totalBytes).toBe(200);
  });

  it("drops an entry older than the time to live", () => {
    const cache = new HotObjectCache(limits);
    cache.set("a", object(50, 0));
    expect(cache.get("a", 1001)).toBeUndefined();
    expect(cache.totalBytes).toBe(0);
  });

  it("replaces an entry under the same key without double counting", () => {
    const cache = new HotObjectCache(limits);
    cache.set("a", object(50));
    cache.set("a", object(60));
    expect(cache.totalBytes).toBe(60);
  });
});
