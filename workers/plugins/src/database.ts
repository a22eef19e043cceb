import { neonConfig, Pool } from "@neondatabase/serverless";
import * as schema from "@plugins/schema";
import { drizzle } from "drizzle-orm/neon-serverless";
import type { Env } from "./env";

/**
 * Opens a database for one request. A Pool must not outlive its request in a Worker
 * (the next request would hang on the previous request's socket), so the caller closes
 * it with `ctx.waitUntil(close())`.
 */
export function openDatabase(env: Env) {
  if (env.NEON_LOCAL_PROXY) useLocalProxy(env.NEON_LOCAL_PROXY);
  const pool = new Pool({ connectionString: env.DATABASE_URL });
  // An idle client that errors (server restart, proxy gone) must not become an uncaught exception.
  pool.on("error", () => {});
  return { db: drizzle({ client: pool, schema }), close: () => pool.end() };
}

export type Database = ReturnType<typeof openDatabase>["db"];

/** A plain Postgres behind our WebSocket bridge speaks neither TLS nor Neon's pipelining. */
function useLocalProxy(proxy: string) {
  neonConfig.wsProxy = (host, port) => `${proxy}/v2?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}
