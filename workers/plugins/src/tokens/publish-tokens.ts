import { type Grant, grantCovers, type Identity, PUBLISH_TOKEN_PREFIX, type TokenAction } from "@plugins/schema";
import { publishTokens } from "@plugins/schema/tables";
import { TRPCError } from "@trpc/server";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Database } from "../lib/database";
import type { Context } from "../trpc/context";

/** A new token: 32 random bytes, base64url, behind the recognizable prefix. */
export function newTokenSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return PUBLISH_TOKEN_PREFIX + btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
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
    throw new TRPCError({ code: "FORBIDDEN", message: `This publish token may not ${action} '${pluginId}'` });
  }
}
