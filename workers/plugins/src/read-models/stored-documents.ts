/**
 * Read models as R2 objects in the plugins worker's bucket, outside every plugin's key space
 * (plugin ids cannot start with "~"). Each object is one JSON envelope: the document, the
 * revision it was built from, its ETag, and whether a write that may have changed it is in
 * flight (`pending`). All in the body, not in custom metadata: R2's ETag is the MD5 of the body,
 * so only a body that changes with every state makes the conditional puts below safe.
 *
 * - a writer marks the document pending with its revision before its COMMIT, and stores the
 *   rebuilt document after it; should that fail, the mark stays, and every read repairs the
 *   document from Postgres (or, with Postgres down, answers the body, the last state stored);
 * - a document only ever replaces an older one: each put is conditional on the object's R2 ETag
 *   as it was read, and is retried from the read on conflict.
 */

import type { R2Bucket, R2Object } from "@cloudflare/workers-types/2023-07-01/index";

const PREFIX = "~read-models/";

/** A document built from Postgres, at the revision it was built from. */
export interface BuiltDocument {
  revision: number;
  /** The strong ETag clients revalidate against. */
  etag: string;
  /** The document as JSON. */
  body: string;
}

/** A document as read back: parsed. */
export interface ReadDocument {
  revision: number;
  etag: string;
  document: unknown;
}

/** What R2 holds under a key: a document (null before the first one) and maybe a pending write. */
export interface StoredDocument {
  document: ReadDocument | null;
  pending: Pending | null;
}

interface Pending {
  revision: number;
  /** Epoch milliseconds. */
  since: number;
}

interface Envelope {
  revision: number | null;
  etag: string | null;
  pending: Pending | null;
  document: unknown;
}

/**
 * A pending mark older than this belongs to a write that never committed: no transaction
 * outlives the database deadline (DATABASE_DEADLINE_MS, seconds), so a reader may drop it.
 */
const ABANDONED_PENDING_MS = 60_000;

/** How often a put that lost a race re-reads the object and tries again before giving up. */
const ATTEMPTS = 8;

/** R2 calls in flight at once for one request's documents. */
const PARALLEL_PUTS = 8;

/** `markPending` for each `[key, revision]`, a few at a time. */
export function markAllPending(bucket: R2Bucket, revisions: readonly [string, number][], now: number): Promise<void> {
  return inParallel(revisions, ([key, revision]) => markPending(bucket, key, revision, now));
}

/** `storeDocument` for each `[key, document]`, a few at a time. */
export function storeAll(bucket: R2Bucket, documents: readonly [string, BuiltDocument][], now: number): Promise<void> {
  return inParallel(documents, ([key, built]) => storeDocument(bucket, key, built, now));
}

/**
 * Documents this isolate read lately, for readers that accept one a bounded time old
 * (`loadDocument`'s `maxAgeMs`), oldest first. This isolate's own writes drop their key at
 * once; another isolate's are seen within `maxAgeMs`.
 */
const recentlyRead = new Map<string, { stored: StoredDocument; at: number }>();
const RECENTLY_READ_LIMIT = 10_000;
/** Writes this isolate began: a read that overlapped one is not kept, as it may predate it. */
let writesBegun = 0;

function forgetRead(key: string) {
  writesBegun++;
  recentlyRead.delete(key);
}

/**
 * What R2 holds under `key`. With `maxAgeMs`, a document this isolate read that recently and
 * has not written since is answered from memory (never a pending one: its reader must ask
 * Postgres).
 */
export async function loadDocument(
  bucket: R2Bucket,
  key: string,
  { maxAgeMs = 0 }: { maxAgeMs?: number } = {},
): Promise<StoredDocument | null> {
  const recent = maxAgeMs > 0 ? recentlyRead.get(key) : undefined;
  if (recent && Date.now() - recent.at < maxAgeMs) return recent.stored;
  const writesBefore = writesBegun;
  const object = await bucket.get(PREFIX + key);
  const stored = object && storedOf(await object.json<Envelope>());
  if (maxAgeMs > 0 && stored?.document && !stored.pending && writesBegun === writesBefore) {
    recentlyRead.delete(key);
    recentlyRead.set(key, { stored, at: Date.now() });
    if (recentlyRead.size > RECENTLY_READ_LIMIT) recentlyRead.delete(recentlyRead.keys().next().value ?? key);
  }
  return stored;
}

/**
 * Before a write's COMMIT: marks `key` as possibly changed at `revision`, keeping the document
 * readers answer while the database cannot tell them more.
 */
async function markPending(bucket: R2Bucket, key: string, revision: number, now: number): Promise<void> {
  forgetRead(key);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await bucket.get(PREFIX + key);
    const envelope = current ? await current.json<Envelope>() : null;
    // Already newer than this write (R2 ahead of a restored database): nothing to mark.
    if (envelope?.revision != null && envelope.revision >= revision) return;
    const marked = {
      ...(envelope ?? { revision: null, etag: null, document: null }),
      pending: { revision, since: now },
    };
    if (await putIf(bucket, key, current, JSON.stringify(marked))) return;
  }
  throw new Error(`Could not mark read model '${key}' pending: the object kept changing`);
}

/**
 * Stores a document built from Postgres unless R2 already holds a newer one. A pending mark of
 * a later revision stays (its write has not committed, or has and will store its own document),
 * unless it is abandoned; one the document covers is cleared.
 */
async function storeDocument(bucket: R2Bucket, key: string, built: BuiltDocument, now: number): Promise<void> {
  forgetRead(key);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await bucket.get(PREFIX + key);
    const stored = current ? storedOf(await current.json<Envelope>()) : null;
    if (stored?.document && stored.document.revision > built.revision) return;
    const pending = stored?.pending;
    const stillPending =
      pending && pending.revision > built.revision && now - pending.since < ABANDONED_PENDING_MS ? pending : null;
    if (stored?.document?.revision === built.revision && pending?.revision === stillPending?.revision) return;
    // The document's JSON goes in as it is: it was serialized once, for its ETag.
    const envelope = `{"revision":${built.revision},"etag":${JSON.stringify(built.etag)},"pending":${JSON.stringify(stillPending)},"document":${built.body}}`;
    if (await putIf(bucket, key, current, envelope)) return;
  }
  throw new Error(`Could not store read model '${key}': the object kept changing`);
}

/** Puts `body` only if the object is still the one read (or still absent). */
async function putIf(bucket: R2Bucket, key: string, read: R2Object | null, body: string): Promise<boolean> {
  const stored = await bucket.put(PREFIX + key, body, {
    onlyIf: read ? { etagMatches: read.etag } : { etagDoesNotMatch: "*" },
    httpMetadata: { contentType: "application/json" },
  });
  return stored !== null;
}

function storedOf(envelope: Envelope): StoredDocument {
  const { revision, etag, document } = envelope;
  return {
    document: revision !== null && etag !== null ? { revision, etag, document } : null,
    // A mark the document already covers is no longer pending.
    pending: envelope.pending && envelope.pending.revision > (revision ?? -1) ? envelope.pending : null,
  };
}

async function inParallel<T>(items: readonly T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_PUTS, items.length) }, worker));
}
