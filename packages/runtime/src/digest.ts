import { encodeHex } from "./encoding";

/** What to hash: bytes as they are, text as its UTF-8 bytes. */
export type DigestInput = string | Uint8Array<ArrayBuffer>;

export function sha256(data: DigestInput): Promise<Uint8Array<ArrayBuffer>> {
  return digest("SHA-256", data);
}

export function sha384(data: DigestInput): Promise<Uint8Array<ArrayBuffer>> {
  return digest("SHA-384", data);
}

/** Lowercase hex SHA-256: how stored files, whole versions and publish tokens are identified. */
export async function sha256Hex(data: DigestInput): Promise<string> {
  return encodeHex(await sha256(data));
}

/**
 * A strong HTTP entity tag for a document: 128 bits of its SHA-256, quoted. The same text always
 * gets the same tag, so any worker may answer a conditional GET for it.
 */
export async function strongEtag(text: string): Promise<string> {
  return `"${encodeHex((await sha256(text)).subarray(0, 16))}"`;
}

async function digest(algorithm: "SHA-256" | "SHA-384", data: DigestInput): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return new Uint8Array(await crypto.subtle.digest(algorithm, bytes));
}
