import { z } from "zod";
import { grantSchema } from "./publish-tokens";
import { plainText } from "./text";

/** Roles carried in a caller's JWT; `guest` is what an anonymous caller gets. */
export const roles = ["admin", "editor", "viewer", "guest"] as const;
export type Role = (typeof roles)[number];

export const tenantIdSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, "must be a lowercase slug (a-z, 0-9, '-'), at most 64 characters");

/** Who is calling, as verified by the API worker. */
export const identitySchema = z.object({
  sub: plainText().min(1).max(256),
  role: z.enum(roles),
  tenant: tenantIdSchema.nullable(),
  email: plainText().max(320).nullable(),
});
export type Identity = z.infer<typeof identitySchema>;

export const guestIdentity: Identity = { sub: "anonymous", role: "guest", tenant: null, email: null };

/**
 * The request facts the gateway observed, signed together with the identity so the
 * plugins worker never has to believe a header for them.
 */
export const requestFactsSchema = z.object({
  requestId: z.string().min(1).max(128),
  ip: plainText().max(64).nullable(),
  userAgent: plainText().max(512).nullable(),
  publicOrigin: z.url(),
});
export type RequestFacts = z.infer<typeof requestFactsSchema>;

export const internalClaimsSchema = z.object({
  identity: identitySchema,
  request: requestFactsSchema,
  /** Present when the caller authenticated with a publish token: all it may do. */
  grant: grantSchema.optional(),
});
export type InternalClaims = z.infer<typeof internalClaimsSchema>;

/**
 * The internal token: minted by the API worker for one request, verified by the plugins
 * worker. Short-lived and audience-bound so a captured token is useless elsewhere or later.
 */
export const internalToken = {
  header: "x-internal-identity",
  issuer: "plugin-platform/api",
  audience: "plugin-platform/plugins",
  algorithm: "HS256",
  ttlSeconds: 30,
} as const;
