import { z } from "zod";

/*
 * The wire schemas of version signatures (signatures.ts): apart, so that a verifier that only
 * checks signatures (the browser loader) bundles no zod.
 */

/** `GET /api/keys`, as a client reads it back. */
export const keySetSchema = z.object({
  keys: z.array(
    z.object({
      keyid: z.string().min(1),
      keytype: z.literal("ed25519"),
      scheme: z.literal("ed25519"),
      key: z.string().min(1),
      created: z.string(),
      expires: z.string().nullable(),
    }),
  ),
});

/**
 * A page of `signatures.resign`: the versions signed by `signedBy` (a key about to expire), or
 * with `unsigned` those never signed (published before signing existed), in id order after
 * `cursor` (the `next` of the previous page).
 */
export const resignInputSchema = z
  .strictObject({
    signedBy: z.string().min(1).max(64).optional(),
    unsigned: z.literal(true).optional(),
    cursor: z.strictObject({ pluginId: z.string().max(214), version: z.string().max(256) }).optional(),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .refine((input) => (input.signedBy === undefined) !== (input.unsigned === undefined), {
    message: "name either signedBy (a key id) or unsigned: true",
  });
