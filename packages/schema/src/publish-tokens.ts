import { z } from "zod";
import { pluginIdSchema } from "./plugins";
import { plainText } from "./text";

/** What a publish token may do, like npm's granular tokens. */
export const tokenActions = ["publish", "deprecate", "yank"] as const;
export type TokenAction = (typeof tokenActions)[number];

/** A plugin id, or an id prefix followed by `*`. */
export const pluginScopeSchema = z.union([
  pluginIdSchema,
  z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}\*$/, "must be a plugin id or an id prefix ending in '*'"),
]);

export const createTokenInputSchema = z.object({
  name: plainText().trim().min(1).max(100),
  plugins: z.array(pluginScopeSchema).min(1).max(50),
  actions: z.array(z.enum(tokenActions)).min(1),
  expiresInDays: z.number().int().min(1).max(365).default(90),
});

export const tokenRefSchema = z.object({ id: z.uuid() });

/** What a publish token grants, carried from the gateway to the plugins worker in the signed claims. */
export const grantSchema = z.object({
  tokenId: z.uuid(),
  plugins: z.array(pluginScopeSchema),
  actions: z.array(z.enum(tokenActions)),
});
export type Grant = z.infer<typeof grantSchema>;

/** The prefix that tells a publish token from a JWT at a glance (and to secret scanners). */
export const PUBLISH_TOKEN_PREFIX = "ppt_";

/** Whether a grant covers `action` on `pluginId`. */
export function grantCovers(grant: Grant, action: TokenAction, pluginId: string): boolean {
  return (
    grant.actions.includes(action) &&
    grant.plugins.some((scope) => (scope.endsWith("*") ? pluginId.startsWith(scope.slice(0, -1)) : scope === pluginId))
  );
}

/** The gateway's question to the plugins worker when a bearer is a publish token. */
export const publishTokenRedeemSchema = z.object({
  token: z.string().startsWith(PUBLISH_TOKEN_PREFIX).max(128),
});
