import { type KeySet, publicKeyText } from "@plugins/schema";
import { z } from "zod";

/*
 * The registry's Ed25519 keys, from the SIGNING_KEYS secret: a JSON array of
 *   { keyid, created, expires, jwk: { kty: "OKP", crv: "Ed25519", x, d } }
 * (`pnpm signing-key` makes one). Every key not yet expired is listed at `GET /api/keys`, from
 * before its `created` on, so verifiers hold it before it signs; the newest key whose `created`
 * has come signs new versions. A key without `d` is listed but never signs: what is left of a
 * retired key whose private half was taken out of the secret. Rotation: README "Signatures".
 */

const isoTime = z.iso.datetime({ offset: true });

const signingKeySchema = z.strictObject({
  keyid: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "keyid must be 1 to 64 letters, digits, '.', '_' or '-'"),
  created: isoTime,
  expires: isoTime.nullable(),
  jwk: z.object({
    kty: z.literal("OKP"),
    crv: z.literal("Ed25519"),
    x: z.string().min(1),
    d: z.string().min(1).optional(),
  }),
});

export type SigningKey = z.infer<typeof signingKeySchema>;

export const signingKeysSchema = z
  .array(signingKeySchema)
  .max(20)
  .refine((keys) => new Set(keys.map((key) => key.keyid)).size === keys.length, "names a keyid twice");

/** The keys SIGNING_KEYS holds (none when it is unset or unreadable), and why it cannot be read (never quoting it: it is a secret). */
export function readSigningKeys(text: string | undefined): { keys: SigningKey[]; problem: string | null } {
  if (text === undefined) return { keys: [], problem: null };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { keys: [], problem: "must be a JSON array of keys (see pnpm signing-key)" };
  }
  const parsed = signingKeysSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `[${issue.path.join("].")}: ` : "";
    return { keys: [], problem: `${where}${issue?.message ?? "is not a key list"}` };
  }
  return { keys: parsed.data, problem: null };
}

const expired = (key: SigningKey, now: Date) => key.expires !== null && Date.parse(key.expires) <= now.getTime();

/** The key that signs at `now`: the newest one created by then, unexpired, with its private half; null for none. */
export function currentSigningKey(keys: readonly SigningKey[], now: Date): SigningKey | null {
  const usable = keys.filter((key) => key.jwk.d && Date.parse(key.created) <= now.getTime() && !expired(key, now));
  return usable.sort((a, b) => Date.parse(b.created) - Date.parse(a.created))[0] ?? null;
}

const ED25519 = { name: "Ed25519" } as const;
const imported = new Map<string, Promise<CryptoKey>>();

/** The private key of `key`, imported once per isolate. */
export function privateKeyOf(key: SigningKey): Promise<CryptoKey> {
  const cacheKey = `${key.keyid} ${key.jwk.x}`;
  let cryptoKey = imported.get(cacheKey);
  if (!cryptoKey) {
    cryptoKey = crypto.subtle.importKey("jwk", key.jwk, ED25519, false, ["sign"]);
    cryptoKey.catch(() => imported.delete(cacheKey));
    imported.set(cacheKey, cryptoKey);
  }
  return cryptoKey;
}

/**
 * The public key set at `now`: every key not yet expired, newest first. `withExpired` keeps the
 * expired ones too, for the platform's own checks, which then say "expired" rather than "unknown".
 */
export async function publicKeySet(
  keys: readonly SigningKey[],
  now: Date,
  { withExpired = false } = {},
): Promise<KeySet> {
  const listed = keys
    .filter((key) => withExpired || !expired(key, now))
    .sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
  return {
    keys: await Promise.all(
      listed.map(async (key) => {
        const { kty, crv, x } = key.jwk;
        const publicKey = await crypto.subtle.importKey("jwk", { kty, crv, x }, ED25519, true, ["verify"]);
        return {
          keyid: key.keyid,
          keytype: "ed25519" as const,
          scheme: "ed25519" as const,
          key: await publicKeyText(publicKey),
          created: new Date(key.created).toISOString(),
          expires: key.expires === null ? null : new Date(key.expires).toISOString(),
        };
      }),
    ),
  };
}
