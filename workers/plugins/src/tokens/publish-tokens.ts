import { encodeBase64url, sha256Hex } from "@plugins/runtime";
import { type Grant, grantCovers, type Identity, PUBLISH_TOKEN_PREFIX, type TokenAction } from "@plugins/schema";
import { publishTokens } from "@plugins/schema/tables";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Database } from "../lib/database";
import { RegistryError } from "../lib/errors";
import type { Context } from "../trpc/context";

/** A new token: 32 random bytes, base64url, behind the recognizable prefix. */
export function newTokenSecret(): string {
  return PUBLISH_TOKEN_PREFIX + encodeBase64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Only this hash is stored: a leaked table names no token that works. */
export function hashToken(token: string): Promise<string> {
  return sha256Hex(token);
}

/**
 * Who a publish token speaks for and what it may do, or null when it is unknown, revoked
 * or expired. Using it records its last use in the same statement.
 */
export async function redeemToken(db: Database, token: string): Promise<{ identity: Identity; grant: Grant } | null> {
  const [row] = await db
    .update(publishTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(publishTokens.tokenHash, await hashToken(token)),
        isNull(publishTokens.revokedAt),
        gt(publishTokens.expiresAt, sql`now()`),
      ),
    )
    .returning();
  if (!row) return null;
  return {
    // A token acts as its owner, never above an editor, and only within its grant.
    identity: { sub: row.ownerId, role: "editor", tenant: null, email: null },
    grant: {
      tokenId: row.id,
      plugins: row.plugins,
      actions: row.actions.filter((action): action is TokenAction => ["publish", "deprecate", "yank"].includes(action)),
    },
  };
}

/** Refuses a publish-token caller whose grant does not cover `action` on `pluginId`. */
export function assertGrantCovers(ctx: Pick<Context, "grant">, action: TokenAction, pluginId: string): void {
  if (ctx.grant && !grantCovers(ctx.grant, action, pluginId)) {
    throw new RegistryError("FORBIDDEN", `This publish token may not ${action} '${pluginId}'`);
  }
}
