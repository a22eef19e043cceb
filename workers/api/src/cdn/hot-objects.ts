/** A bundle file held in memory: immutable bytes and the headers it is served with. */
export interface HotObject {
  bytes: Uint8Array;
  etag: string;
  /** Every header its answers carry, prepared when the object is stored. */
  headers: [string, string][];
  isEntry: boolean;
  storedAt: number;
}

export interface HotObjectLimits {
  /** Objects larger than this are never held (they stream from the edge cache instead). */
  maxObjectBytes: number;
  maxTotalBytes: number;
  /**
   * How long an entry may be served from memory. Bytes never change, but a blocked
   * version must disappear from every isolate, and isolates cannot be purged from outside.
   */
  ttlMs: number;
}

export const DEFAULT_HOT_OBJECT_LIMITS: HotObjectLimits = {
  maxObjectBytes: 1024 * 1024,
  maxTotalBytes: 16 * 1024 * 1024,
  ttlMs: 60_000,
};

/**
 * A small least-recently-used cache of immutable objects for one isolate, bounded by
 * bytes rather than entries (which `Map` insertion order makes a few lines; the common
 * LRU packages count entries, not bytes).
 */
export class HotObjectCache {
  readonly #entries = new Map<string, HotObject>();
  #totalBytes = 0;

  constructor(readonly limits: HotObjectLimits = DEFAULT_HOT_OBJECT_LIMITS) {}

  get(key: string, now = Date.now()): HotObject | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (now - entry.storedAt > this.limits.ttlMs) {
      this.#totalBytes -= entry.bytes.byteLength;
      return undefined;
    }
    this.#entries.set(key, entry);
    return entry;
  }

  /** Whether an object of `size` bytes is worth holding. */
  accepts(size: number): boolean {
    return size <= this.limits.maxObjectBytes;
  }

  set(key: string, entry: HotObject): void {
    if (!this.accepts(entry.bytes.byteLength)) return;
    this.delete(key);
    this.#entries.set(key, entry);
    this.#totalBytes += entry.bytes.byteLength;
    for (const [oldest, evicted] of this.#entries) {
      if (this.#totalBytes <= this.limits.maxTotalBytes) break;
      this.#entries.delete(oldest);
      this.#totalBytes -= evicted.bytes.byteLength;
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#totalBytes -= entry.bytes.byteLength;
  }

  get totalBytes(): number {
    return this.#totalBytes;
  }
}
