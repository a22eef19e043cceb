/** Bindings, vars and secrets of the plugins worker (see workers/plugins/wrangler.toml). */
export interface Env {
  BUNDLES: R2Bucket;
  /** Postgres connection string (Neon in production). Secret. */
  DATABASE_URL: string;
  /** Shared with the API worker; verifies the identity it mints per request. Secret. */
  INTERNAL_TOKEN_SECRET: string;
  /** `host:port` of a WebSocket-to-TCP bridge, set only when running against a local Postgres. */
  NEON_LOCAL_PROXY?: string;
  /** `development` exposes error details in responses; anything else hides them. */
  ENVIRONMENT?: string;
  /** Largest accepted bundle file, in bytes. */
  MAX_BUNDLE_BYTES?: string;
}

export const DEFAULT_MAX_BUNDLE_BYTES = 10 * 1024 * 1024;

export function maxBundleBytes(env: Env): number {
  const configured = Number(env.MAX_BUNDLE_BYTES);
  return Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_MAX_BUNDLE_BYTES;
}
