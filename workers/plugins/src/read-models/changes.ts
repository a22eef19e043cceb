import type { readModelKindSchema } from "@plugins/schema";
import type { z } from "zod";
import type { Transaction } from "../lib/database";

/** The read models there are: a plugin's package document, a tenant's manifest, an instance as the engine runs it. */
export type ReadModelKind = z.infer<typeof readModelKindSchema>;

/** The read models one transaction changes, by kind, to publish once it commits. */
export type Changes = Map<ReadModelKind, Set<string>>;

const changesOf = new WeakMap<Transaction, Changes>();

/** Called by publishing-transactions.ts as a transaction starts. */
export function trackChanges(tx: Transaction): Changes {
  const changes: Changes = new Map();
  changesOf.set(tx, changes);
  return changes;
}

/**
 * Records, inside the transaction of a write, that it changes what the read model of `id`
 * shows: the transaction bumps its revision before it commits, and publishes it after.
 */
export function recordChange(tx: Transaction, kind: ReadModelKind, id: string): void {
  const changes = changesOf.get(tx);
  // A write outside ctx.db.transaction would commit without its read models: a bug, not a refusal.
  if (!changes) throw new Error(`A change to ${kind} '${id}' was made outside a publishing transaction`);
  const ids = changes.get(kind);
  if (ids) ids.add(id);
  else changes.set(kind, new Set([id]));
}
