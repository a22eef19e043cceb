import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** Bearer tokens for CI: shown once, stored only as a hash, scoped to plugins and actions. */
export const publishTokens = pgTable(
  "publish_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    ownerId: text("owner_id").notNull(),
    name: text("name").notNull(),
    /** sha256 of the token; the token itself is never stored. */
    tokenHash: text("token_hash").notNull().unique(),
    /** Plugin ids, or prefixes ending in `*` (`acme-*`). */
    plugins: text("plugins").array().notNull(),
    actions: text("actions").array().notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("publish_tokens_owner_idx").on(table.ownerId)],
);
