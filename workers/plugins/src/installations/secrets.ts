import { createLogger, decodeBase64, encodeBase64url, sha256 } from "@plugins/runtime";

const logEvent = createLogger("plugins");

/**
 * Secret config fields are sealed with AES-256-GCM, bound to the instance's row id as
 * additional data so a sealed value copied onto another instance (or another tenant's)
 * does not open. Format: `v1.<key id>.<iv>.<ciphertext>`, base64url. The key id names the
 * key that sealed it, so CONFIG_ENCRYPTION_KEY can be rotated: the new key seals, retired
 * keys (CONFIG_ENCRYPTION_RETIRED_KEYS) still open, and an instance's secrets are sealed
 * again under the new key when its config is next written (configure, upgrade, rollback,
 * an automatic update) or by `installations.resealSecrets`.
 */
const FORMAT = "v1";

interface Key {
  id: string;
  key: CryptoKey;
}

export class SecretBox {
  private constructor(
    private readonly sealing: Key,
    private readonly opening: ReadonlyMap<string, CryptoKey>,
  ) {}

  /**
   * A box sealing under `current` and opening under it and every `retired` key, or null
   * when no key is configured (secret fields then cannot be stored).
   */
  static async fromKey(current: string | undefined, retired: readonly string[] = []): Promise<SecretBox | null> {
    if (!current) return null;
    const cacheKey = [current, ...retired].join(",");
    const cached = boxes.get(cacheKey);
    if (cached) return cached;
    const sealing = await importKey(current, "CONFIG_ENCRYPTION_KEY");
    const opening = new Map<string, CryptoKey>();
    for (const material of retired) {
      // A mistyped retired key must not stop sealing under a good current one.
      const old = await importKey(material, "CONFIG_ENCRYPTION_RETIRED_KEYS").catch((error: unknown) => {
        logEvent("warn", "retired_config_key_ignored", { message: String(error) });
        return null;
      });
      if (old) opening.set(old.id, old.key);
    }
    opening.set(sealing.id, sealing.key);
    const box = new SecretBox(sealing, opening);
    boxes.set(cacheKey, box);
    return box;
  }

  /** The id of the key that seals: a value sealed under any other still needs a retired key to open. */
  get sealingKeyId(): string {
    return this.sealing.id;
  }

  /** The ids of the retired keys, which only open. */
  get retiredKeyIds(): string[] {
    return [...this.opening.keys()].filter((id) => id !== this.sealing.id);
  }

  async seal(values: Record<string, unknown>, boundTo: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plaintext = new TextEncoder().encode(JSON.stringify(values));
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: aad(boundTo) },
      this.sealing.key,
      plaintext,
    );
    return [FORMAT, this.sealing.id, encodeBase64url(iv), encodeBase64url(new Uint8Array(sealed))].join(".");
  }

  async open(sealed: string, boundTo: string): Promise<Record<string, unknown>> {
    const [format, keyId, iv, ciphertext, extra] = sealed.split(".");
    if (format !== FORMAT || !keyId || !iv || !ciphertext || extra !== undefined) {
      throw new Error("sealed secrets are in an unknown format");
    }
    const key = this.opening.get(keyId);
    if (!key) throw new Error(`sealed secrets were sealed under key ${keyId}, which is not configured`);
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: decodeBase64(iv), additionalData: aad(boundTo) },
      key,
      decodeBase64(ciphertext),
    );
    return JSON.parse(new TextDecoder().decode(plaintext)) as Record<string, unknown>;
  }
}

/** A 32-byte base64 key, imported, with its id: the first 8 bytes of its SHA-256. */
async function importKey(material: string, setting: string): Promise<Key> {
  const bytes = decodeBase64(material.trim());
  if (bytes.byteLength !== 32) throw new Error(`${setting} must hold keys of 32 bytes, base64-encoded`);
  const digest = await sha256(bytes);
  const key = await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { id: encodeBase64url(digest.subarray(0, 8)), key };
}

/** Imported keys, by key material: importing costs more than the encryption itself. */
const boxes = new Map<string, SecretBox>();

function aad(boundTo: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(new TextEncoder().encode(`installation:${boundTo}`));
}

/** The configured box, or an error that says what is missing (logged; the caller sees "Internal error"). */
export async function secretBox(ctx: { configKeys: ConfigKeys }): Promise<SecretBox> {
  const box = await SecretBox.fromKey(ctx.configKeys.current, ctx.configKeys.retired);
  if (!box) throw new Error("CONFIG_ENCRYPTION_KEY is not set, so secret config fields cannot be stored");
  return box;
}

/** CONFIG_ENCRYPTION_KEY, and the retired keys that still open what they sealed (config.ts reads them). */
export interface ConfigKeys {
  current: string | undefined;
  retired: string[];
}
