import type { Grant, Identity } from "@plugins/schema";
import type { Context } from "hono";

/** Bindings, vars and secrets of the API worker (see the root wrangler.toml). */
export interface Env {
  /** Service binding to the plugins worker, its only way in. */
  PLUGINS: Fetcher;
  /** Rate limits (Workers rate-limiting bindings); a missing one limits nothing. */
  WRITE_LIMITER?: RateLimit;
  READ_LIMITER?: RateLimit;
  BUNDLE_LIMITER?: RateLimit;
  /** HS256 secret for bearer tokens (local development, or an issuer that signs with a shared secret). Secret. */
  JWT_SECRET?: string;
  /** Key set of the identity provider (RS256, ES256, EdDSA). Takes over from JWT_SECRET for asymmetric tokens. */
  JWKS_URL?: string;
  /** Required `iss` of bearer tokens. */
  JWT_ISSUER?: string;
  /** Required `aud` of bearer tokens. */
  JWT_AUDIENCE?: string;
  /** Longest a bearer token may live, exp − iat in seconds (default 24 h); see token-lifetime.ts. */
  JWT_MAX_LIFETIME_SECONDS?: string;
  /** Shared with the plugins worker; signs the identity minted per request. Secret. */
  INTERNAL_TOKEN_SECRET: string;
  /** Origin used in bundle URLs (`https://plugins.example.com`); defaults to the request's origin. */
  PUBLIC_BASE_URL?: string;
  /** Comma-separated browser origins allowed to call /api and /trpc (`https://app.example.com`). */
  CORS_ORIGINS?: string;
  /** Largest accepted upload body, in bytes. */
  MAX_UPLOAD_BYTES?: string;
  /** Bytes of hot bundle files each isolate keeps in memory (default 16 MiB; 0 turns it off). */
  HOT_CACHE_MAX_BYTES?: string;
  /** How long the gateway waits for the plugins worker's answer before a 503, in ms (default 8000). */
  PLUGINS_TIMEOUT_MS?: string;
  /** `development` exposes error details in responses; anything else hides them. */
  ENVIRONMENT?: string;
  /** "false" where no Cloudflare edge sets CF-Connecting-IP (`pnpm dev`): see client-ip.ts. */
  TRUST_CF_CONNECTING_IP?: string;
}

export interface Variables {
  requestId: string;
  /** The verified caller; a guest when the request carried no bearer token. */
  identity: Identity;
  /** What a publish token allows, when the bearer was one. */
  grant?: Grant;
}

export type AppEnv = { Bindings: Env; Variables: Variables };

export const DEFAULT_MAX_UPLOAD_BYTES = 12 * 1024 * 1024;

export function maxUploadBytes(env: Env): number {
  const configured = Number(env.MAX_UPLOAD_BYTES);
  return Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_MAX_UPLOAD_BYTES;
}

export const DEFAULT_PLUGINS_TIMEOUT_MS = 8000;

/** Longer than the plugins worker's DATABASE_DEADLINE_MS, so its own 503 normally arrives first. */
export function pluginsTimeoutMs(env: Env): number {
  const configured = Number(env.PLUGINS_TIMEOUT_MS);
  return Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_PLUGINS_TIMEOUT_MS;
}

/** The origin bundle URLs are published under: PUBLIC_BASE_URL, else the request's own. */
export function publicOrigin(c: Context<AppEnv>): string {
  return c.env.PUBLIC_BASE_URL || new URL(c.req.url).origin;
}
