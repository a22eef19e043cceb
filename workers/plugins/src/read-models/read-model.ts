import type { R2Bucket } from "@cloudflare/workers-types/2023-07-01/index";
import { createLogger } from "@plugins/runtime";
import { readModelRevisions } from "@plugins/schema/tables";
import { asc, gt, inArray } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { type Database, databaseOutage, type Transaction } from "../lib/database";
import { type BuiltDocument, loadDocument, type ReadDocument, storeAll } from "./stored-documents";

const logEvent = createLogger("plugins");

/** One kind of read model: where its documents live and how Postgres rebuilds them. */
export interface ReadModel {
  /** The document's key, in the revisions table and (prefixed) in R2. */
  keyOf(id: string): string;
  /**
   * The documents of `ids` as Postgres holds them now; an id with nothing to show (an unknown
   * plugin) is left out. Each is labelled with a revision read before its content, so the
   * content is never older than its label: a newer label would let a stale document win.
   */
  build(db: Database, ids: readonly string[]): Promise<Map<string, BuiltDocument>>;
  /**
   * What a read answers for an id Postgres has nothing of (a tenant that never installed
   * anything: its empty manifest); not stored, so reading unknown ids writes nothing.
   */
  absent?(id: string): Promise<ReadDocument>;
  /** Up to `limit` ids that have a document, in order, after `after`: the pages of `readModels.rebuild`. */
  page(db: Database, after: string | undefined, limit: number): Promise<string[]>;
}

/** Up to `limit` values of a text primary key `column`, in order, after `after`. */
export async function pageOfIds(db: Database, column: PgColumn, after: string | undefined, limit: number) {
  const rows = await db
    .select({ id: column })
    .from(column.table as PgTable)
    .where(after === undefined ? undefined : gt(column, after))
    .orderBy(asc(column))
    .limit(limit);
  return rows.map((row) => String(row.id));
}

/** The committed revisions of `keys`; a key never written is at 0. */
export async function readRevisions(db: Database | Transaction, keys: readonly string[]) {
  const rows =
    keys.length === 0
      ? []
      : await db
          .select({ key: readModelRevisions.key, revision: readModelRevisions.revision })
          .from(readModelRevisions)
          .where(inArray(readModelRevisions.key, [...keys]));
  const revisions = new Map(rows.map((row) => [row.key, row.revision]));
  return (key: string) => revisions.get(key) ?? 0;
}

/**
 * The document of `id`, read from R2 without touching Postgres when it is there and no write
 * may have changed it. A missing document (older than read models, or deleted) and one a write
 * left pending are rebuilt from Postgres and stored; with Postgres down, a pending document is
 * answered as last stored. For an id Postgres knows nothing of, the model's `absent` document, or null.
 * `maxAgeMs` accepts a document this isolate read that recently (stored-documents.ts `loadDocument`).
 */
export async function readDocument(
  source: { readonly db: Database },
  bucket: R2Bucket,
  model: ReadModel,
  id: string,
  options: { maxAgeMs?: number } = {},
): Promise<ReadDocument | null> {
  const key = model.keyOf(id);
  const stored = await loadDocument(bucket, key, options);
  if (stored?.document && !stored.pending) return stored.document;
  let built: BuiltDocument | undefined;
  try {
    // `source.db` only now: a request's database opens on first use (lib/database.ts onDemandDatabase).
    built = (await model.build(source.db, [id])).get(id);
  } catch (error) {
    if (stored?.document && databaseOutage(error)) return stored.document;
    throw error;
  }
  if (!built) return model.absent ? model.absent(id) : null;
  await storeAll(bucket, [[key, built]], Date.now()).catch((error: unknown) =>
    // The answer is right either way; the next read tries again.
    logEvent("warn", "read_model_store_failed", { key, message: String(error) }),
  );
  logEvent("info", stored ? "read_model_repaired" : "read_model_rebuilt", { key, revision: built.revision });
  return { revision: built.revision, etag: built.etag, document: JSON.parse(built.body) };
}
