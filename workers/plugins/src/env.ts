import type { R2Bucket } from "@cloudflare/workers-types/2023-07-01/index";
import { DEFAULT_BUNDLE_LIMITS, type UploadLimits } from "./bundles/limits";

/** Bindings, vars and secrets of the plugins worker (see workers/plugins/wrangler.toml). */
export interface Env {
  BUNDLES: R2Bucket;
  /** Postgres connection string (Neon in production). Secret. */
  DATABASE_URL: string;
  /** Shared with the API worker; verifies the identity it mints per request. Secret. */
  INTERNAL_TOKEN_SECRET: string;
  /** 32 random bytes, base64: the AES-GCM key sealing secret fields of instance configs. Secret. */
  CONFIG_ENCRYPTION_KEY?: string;
  /** Comma-separated keys CONFIG_ENCRYPTION_KEY replaced: they open what they sealed until it is sealed again. Secret. */
  CONFIG_ENCRYPTION_RETIRED_KEYS?: string;
  /** Opening a database connection (WebSocket and Postgres session), in ms; default 3000. */
  DATABASE_CONNECT_TIMEOUT_MS?: string;
  /** Server-side `statement_timeout` per statement, in ms (default 5000); `0` sends none. */
  DATABASE_STATEMENT_TIMEOUT_MS?: string;
  /** From the start of a request: no statement (no COMMIT) is sent after it, in ms; default 6000. Below the gateway's PLUGINS_TIMEOUT_MS. */
  DATABASE_DEADLINE_MS?: string;
  /** `host:port` of a WebSocket-to-TCP bridge, set only when running against a local Postgres. */
  NEON_LOCAL_PROXY?: string;
  /** `development` exposes error details in responses; anything else hides them. */
  ENVIRONMENT?: string;
  /** Largest uploaded file (a JS bundle or an archive), in bytes. */
  MAX_BUNDLE_BYTES?: string;
  /** Limits on an archive's contents: one file, all files, file count, compression ratio. */
  MAX_FILE_BYTES?: string;
  MAX_TOTAL_BYTES?: string;
  MAX_FILES?: string;
  MAX_COMPRESSION_RATIO?: string;
}

function positiveInteger(value: string | undefined, fallback: number): number {
  const configured = Number(value);
  return Number.isInteger(configured) && configured > 0 ? configured : fallback;
}

function nonNegativeInteger(value: string | undefined, fallback: number): number {
  const configured = Number(value);
  return value !== undefined && value !== "" && Number.isInteger(configured) && configured >= 0 ? configured : fallback;
}

/** The bounds on one request's use of the database (DATABASE_* in the README's configuration). */
export interface DatabaseTimeouts {
  /** Opening a connection: the WebSocket and the Postgres session behind it. */
  connectMs: number;
  /** Server side, per statement (`statement_timeout`); 0 sends none. A frozen server's timers stop, so this alone bounds nothing. */
  statementMs: number;
  /** From the start of the request: no statement is sent after it, and open connections are closed at it. */
  deadlineMs: number;
}

/** The DATABASE_*_MS settings, or their defaults; lib/database.ts says how each bound is enforced. */
export function databaseTimeouts(env: Env): DatabaseTimeouts {
  return {
    connectMs: positiveInteger(env.DATABASE_CONNECT_TIMEOUT_MS, 3000),
    statementMs: nonNegativeInteger(env.DATABASE_STATEMENT_TIMEOUT_MS, 5000),
    deadlineMs: positiveInteger(env.DATABASE_DEADLINE_MS, 6000),
  };
}

export function uploadLimits(env: Env): UploadLimits {
  return {
    maxUploadBytes: positiveInteger(env.MAX_BUNDLE_BYTES, 10 * 1024 * 1024),
    archive: {
      maxFileBytes: positiveInteger(env.MAX_FILE_BYTES, DEFAULT_BUNDLE_LIMITS.maxFileBytes),
      maxTotalBytes: positiveInteger(env.MAX_TOTAL_BYTES, DEFAULT_BUNDLE_LIMITS.maxTotalBytes),
      maxFiles: positiveInteger(env.MAX_FILES, DEFAULT_BUNDLE_LIMITS.maxFiles),
      maxCompressionRatio: positiveInteger(env.MAX_COMPRESSION_RATIO, DEFAULT_BUNDLE_LIMITS.maxCompressionRatio),
    },
  };
}
