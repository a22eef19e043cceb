/**
 * The HMAC-SHA-256 key of a shared secret (HS256: the internal identity token, and callers'
 * tokens under JWT_SECRET), imported once per isolate and secret: jose would import it again
 * from the raw bytes on every sign and every verify, which both workers do on every request.
 */
const imported = new Map<string, Promise<CryptoKey>>();

export function hs256Key(secret: string): Promise<CryptoKey> {
  let key = imported.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    // A secret rotated away leaves one stale entry; a failed import is retried next time.
    key.catch(() => imported.delete(secret));
    imported.set(secret, key);
  }
  return key;
}
