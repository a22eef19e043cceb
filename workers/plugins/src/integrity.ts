/** Digests recorded for every stored file: hex sha256 for identity, sha384 SRI for browsers. */
export interface FileDigests {
  sha256: string;
  integrity: string;
}

export async function digestFile(bytes: ArrayBuffer): Promise<FileDigests> {
  const [sha256, sha384] = await Promise.all([
    crypto.subtle.digest("SHA-256", bytes),
    crypto.subtle.digest("SHA-384", bytes),
  ]);
  return { sha256: toHex(sha256), integrity: `sha384-${toBase64(sha384)}` };
}

function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function toBase64(buffer: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(buffer)));
}
