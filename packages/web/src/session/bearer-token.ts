/**
 * The signed-in user's bearer token. It lives in this tab's session storage, and is sent as
 * an `Authorization` header by the platform client: never in a cookie, which the browser
 * would attach to any request to this origin, including ones a plugin's bundle file makes.
 */
const STORAGE_KEY = "plugins.bearer-token";

export interface SessionUser {
  sub: string;
  role: string;
  tenant: string | null;
  email: string | null;
  /** Seconds since the epoch. */
  expiresAt: number;
}

/**
 * What the token says of its user, for display only: the platform verifies the token on
 * every call, so nothing here is trusted. Null when it is no JWT or has expired.
 */
export function readUser(token: string): SessionUser | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
    if (typeof claims.sub !== "string" || typeof claims.exp !== "number") return null;
    if (claims.exp * 1000 <= Date.now()) return null;
    return {
      sub: claims.sub,
      role: typeof claims.role === "string" ? claims.role : "viewer",
      tenant: typeof claims.tenant === "string" ? claims.tenant : null,
      email: typeof claims.email === "string" ? claims.email : null,
      expiresAt: claims.exp,
    };
  } catch {
    return null;
  }
}

export function storedToken(): string | null {
  const token = sessionStorage.getItem(STORAGE_KEY);
  if (token && !readUser(token)) {
    sessionStorage.removeItem(STORAGE_KEY);
    return null;
  }
  return token;
}

export function storeToken(token: string | null): void {
  if (token) sessionStorage.setItem(STORAGE_KEY, token);
  else sessionStorage.removeItem(STORAGE_KEY);
}
