import { readConfig } from "./config";

/** An IPv6 address is at most 45 characters; anything longer is not an address. */
const MAX_ADDRESS_LENGTH = 64;

/**
 * The client's address, the one source for budgets, logs and audit entries. Cloudflare sets
 * `CF-Connecting-IP` on every request it hands a Worker, replacing whatever the client sent,
 * so deployed it is the truth. With nothing in front (`pnpm dev` sets TRUST_CF_CONNECTING_IP
 * to "false") a client could name any address and so reset or split its budgets: the header
 * is ignored there, and every local client is the same unknown address (null).
 */
export function clientIp(headers: Headers, env: Env): string | null {
  if (!readConfig(env).trustCfConnectingIp) return null;
  return headers.get("cf-connecting-ip")?.slice(0, MAX_ADDRESS_LENGTH) || null;
}
