import { createTokenInputSchema, tokenRefSchema } from "@plugins/schema";
import { publishTokens } from "@plugins/schema/tables";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record";
import { RegistryError } from "../lib/errors";
import { roleProcedure, router } from "../trpc/init";
import { hashToken, newTokenSecret } from "./publish-tokens";

/** Everything about a token but its hash. */
const listed = {
  id: publishTokens.id,
  name: publishTokens.name,
  plugins: publishTokens.plugins,
  actions: publishTokens.actions,
  expiresAt: publishTokens.expiresAt,
  revokedAt: publishTokens.revokedAt,
  lastUsedAt: publishTokens.lastUsedAt,
  createdAt: publishTokens.createdAt,
};

export const tokensRouter = router({
  /** Creates a publish token for CI. Its secret is in this answer and nowhere else, ever. */
  create: roleProcedure("admin", "editor")
    .input(createTokenInputSchema)
    .mutation(async ({ ctx, input }) => {
      const token = newTokenSecret();
      return ctx.db.transaction(async (tx) => {
        const [created] = await tx
          .insert(publishTokens)
          .values({
            ownerId: ctx.identity.sub,
            name: input.name,
            tokenHash: await hashToken(token),
            plugins: input.plugins,
            actions: input.actions,
            expiresAt: sql`now() + make_interval(days => ${input.expiresInDays})`,
          })
          .returning(listed);
        if (!created) throw new Error("insert of a publish token returned no row");
        await recordAudit(tx, ctx, {
          action: "publish_token.create",
          resourceType: "publish_token",
          resourceId: created.id,
          details: { name: input.name, plugins: input.plugins, actions: input.actions },
        });
        return { ...created, token };
      });
    }),

  /** The caller's own tokens, newest first. */
  list: roleProcedure("admin", "editor").query(({ ctx }) =>
    ctx.db
      .select(listed)
      .from(publishTokens)
      .where(eq(publishTokens.ownerId, ctx.identity.sub))
      .orderBy(desc(publishTokens.createdAt)),
  ),

  /** Revokes a token at once; its next use is refused. Admins may revoke anyone's. */
  revoke: roleProcedure("admin", "editor")
    .input(tokenRefSchema)
    .mutation(({ ctx, input }) =>
      ctx.db.transaction(async (tx) => {
        const owned = ctx.identity.role === "admin" ? undefined : eq(publishTokens.ownerId, ctx.identity.sub);
        const [revoked] = await tx
          .update(publishTokens)
          .set({ revokedAt: sql`now()` })
          .where(and(eq(publishTokens.id, input.id), isNull(publishTokens.revokedAt), owned))
          .returning(listed);
        // Someone else's token answers as if it did not exist.
        if (!revoked) throw new RegistryError("NOT_FOUND", "No such active token");
        await recordAudit(tx, ctx, {
          action: "publish_token.revoke",
          resourceType: "publish_token",
          resourceId: revoked.id,
        });
        return revoked;
      }),
    ),
});
