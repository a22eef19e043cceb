import { bigint, pgTable, text } from "drizzle-orm/pg-core";

/**
 * The revision of each read model (a plugin's package document, a tenant's manifest), bumped
 * in the transaction of every write that changes what the model shows. The documents in R2
 * carry the revision they were built from, so a late publication never replaces a newer one,
 * and the row lock the bump takes orders the writers of one document by commit.
 */
export const readModelRevisions = pgTable("read_model_revisions", {
  /** `packages/<pluginId>` or `tenants/<tenantId>/manifest`. */
  key: text("key").primaryKey(),
  revision: bigint("revision", { mode: "number" }).notNull(),
});
