import type { R2Bucket } from "@cloudflare/workers-types/2023-07-01/index";
import { createLogger } from "@plugins/runtime";
import { readModelRevisions } from "@plugins/schema/tables";
import { sql } from "drizzle-orm";
import type { Database, Transaction } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { type Changes, trackChanges } from "./changes";
import { readModels } from "./kinds";
import { markAllPending, storeAll } from "./stored-documents";

const logEvent = createLogger("plugins");

export interface PublishingOptions {
  /** The `read-models-after-commit` failpoint (FAILPOINTS, tests only): every publication after a commit fails. */
  failAfterCommit: boolean;
}

/**
 * The database procedures use. Its transactions
 * - commit only once their result serializes: tRPC writes the answer after the procedure
 *   returned, so after the commit, and a result it could not serialize (a config nested too
 *   deep for the stack was one) answered 500 for a write that had been stored;
 * - bump the revision of every read model they changed (changes.ts) and mark those documents
 *   pending in R2 before they commit, then publish them after: so a write answers success only
 *   once its documents show it, and one whose publication failed answers 503 while its pending
 *   marks make the next read repair them from Postgres.
 */
export function publishingTransactions(db: Database, bucket: R2Bucket, options: PublishingOptions): Database {
  const publishing: Database = Object.create(db);
  publishing.transaction = async (write, config) => {
    let changes: Changes = new Map();
    const result = await db.transaction(async (tx) => {
      changes = trackChanges(tx);
      const result = await write(tx);
      JSON.stringify(result);
      await markChanged(tx, bucket, changes);
      return result;
    }, config);
    if (changes.size > 0) await publishChanged(db, bucket, changes, options);
    return result;
  };
  return publishing;
}

/** Bumps the revisions (in key order: two writers never wait on each other's rows crosswise) and marks them pending. */
async function markChanged(tx: Transaction, bucket: R2Bucket, changes: Changes): Promise<void> {
  const keys = [...changes].flatMap(([kind, ids]) => [...ids].map(readModels[kind].keyOf)).sort();
  if (keys.length === 0) return;
  const revisions = await tx
    .insert(readModelRevisions)
    .values(keys.map((key) => ({ key, revision: 1 })))
    .onConflictDoUpdate({ target: readModelRevisions.key, set: { revision: sql`${readModelRevisions.revision} + 1` } })
    .returning();
  await markAllPending(
    bucket,
    revisions.map(({ key, revision }) => [key, revision]),
    Date.now(),
  );
}

async function publishChanged(db: Database, bucket: R2Bucket, changes: Changes, options: PublishingOptions) {
  try {
    if (options.failAfterCommit) throw new Error("failpoint read-models-after-commit");
    const now = Date.now();
    for (const [kind, ids] of changes) {
      const model = readModels[kind];
      const built = await model.build(db, [...ids]);
      await storeAll(
        bucket,
        [...built].map(([id, document]) => [model.keyOf(id), document]),
        now,
      );
    }
  } catch (error) {
    const keys = [...changes].flatMap(([kind, ids]) => [...ids].map(readModels[kind].keyOf));
    logEvent("error", "read_models_behind", { keys: keys.slice(0, 20), count: keys.length, message: String(error) });
    throw new RegistryError(
      "SERVICE_UNAVAILABLE",
      "The change was saved, but the documents reads are answered from could not be updated: the next read repairs them from the database. Read before you retry.",
    );
  }
}
