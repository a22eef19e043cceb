import type { Database } from "./database";

/**
 * The database procedures use: a transaction commits only once its result serializes.
 * tRPC writes the answer after the procedure returned, so after the commit; a result it
 * could not serialize (a config nested too deep for the stack was one) answered 500 for a
 * write that had been stored. Serializing inside the transaction rolls such a write back,
 * so an answer of 500 never comes with a commit.
 */
export function answerableTransactions(db: Database): Database {
  const answerable: Database = Object.create(db);
  answerable.transaction = (write, config) =>
    db.transaction(async (tx) => {
      const result = await write(tx);
      JSON.stringify(result);
      return result;
    }, config);
  return answerable;
}
