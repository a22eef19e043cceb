/**
 * Secret config fields are sealed with AES-256-GCM under CONFIG_ENCRYPTION_KEY, bound to the
 * instance's row id as additional data so a sealed value copied onto another instance (or
 * another tenant's) does not open. Format: `v1.<iv>.<ciphertext>`, base64url.
 */
const FORMAT = "v1";

export class SecretBox {
  private constructor(private readonly key: CryptoKey) {}

  /** A box for the configured key, or null when none is configured (secret fields then cannot be stored). */
  static async fromKey(material: string | undefined): Promise<SecretBox | null> {
    if (!material) return null;
    const cached = boxes.get(material);
    if (cached) return cached;
    const bytes = fromBase64(material.trim());
    if (bytes.byteLength !== 32) throw new Error("CONFIG_ENCRYPTION_KEY must be 32 bytes, base64-encoded");
    const key = await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
    const box = new SecretBox(key);
    boxes.set(material, box);
    return box;
  }

  async seal(values: Record<string, unknown>, boundTo: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plaintext = new TextEncoder().encode(JSON.stringify(values));
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: aad(boundTo) },
      this.key,
      plaintext,
    );
    return [FORMAT, toBase64(iv), toBase64(new Uint8Array(sealed))].join(".");
  }

  async open(sealed: string, boundTo: string): Promise<Record<string, unknown>> {
    const [format, iv, ciphertext] = sealed.split(".");
    if (format !== FORMAT || !iv || !ciphertext) throw new Error("sealed secrets are in an unknown format");
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(iv), additionalData: aad(boundTo) },
      this.key,
      fromBase64(ciphertext),
    );
    return JSON.parse(new TextDecoder().decode(plaintext)) as Record<string, unknown>;
  }
}

/** Imported keys, by key material: importing costs more than the encryption itself. */
const boxes = new Map<string, SecretBox>();

function aad(boundTo: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(new TextEncoder().encode(`installation:${boundTo}`));
}

function toBase64(bytes: Uint8Array): string {
  // In slices: spreading a whole large array as arguments overflows the stack.
  let binary = "";
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** The configured box, or an error that says what is missing (logged; the caller sees "Internal error"). */
export async function secretBox(ctx: { configKey: string | undefined }): Promise<SecretBox> {
  const box = await SecretBox.fromKey(ctx.configKey);
  if (!box) throw new Error("CONFIG_ENCRYPTION_KEY is not set, so secret config fields cannot be stored");
  return box;
}
