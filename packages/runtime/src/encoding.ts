/**
 * Bytes as text: hex for digests, base64 for Subresource Integrity, base64url (RFC 4648 §5,
 * unpadded) wherever the text travels in a URL, a header or a dot-separated token.
 */

/** Lowercase hex, two digits per byte. */
export function encodeHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Standard base64 (RFC 4648 §4), padded. */
export function encodeBase64(bytes: Uint8Array): string {
  // In slices: spreading a whole large array as arguments overflows the stack.
  let binary = "";
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(binary);
}

/** base64url (RFC 4648 §5), unpadded. */
export function encodeBase64url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/**
 * The bytes of base64 or base64url text, padded or not (so a key pasted in either form
 * works); ASCII white space is ignored. Anything else throws a SyntaxError.
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  let binary: string;
  try {
    binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    throw new SyntaxError("not base64 or base64url text");
  }
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
