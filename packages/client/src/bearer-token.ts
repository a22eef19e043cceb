/** A bearer token, or a function asked for the current one before each request (null: signed out). */
export type TokenSource = string | null | (() => string | null | undefined | Promise<string | null | undefined>);

/** The `Authorization` header for `token`, or none. */
export async function authorization(token: TokenSource | undefined): Promise<Record<string, string>> {
  const value = typeof token === "function" ? await token() : token;
  return value ? { authorization: `Bearer ${value}` } : {};
}
