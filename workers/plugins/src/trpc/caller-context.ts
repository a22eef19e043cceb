import type { InternalClaims } from "@plugins/schema";
import type { PluginsConfig } from "../config";
import { requestEngine } from "../engine/hooks";
import { engineExports } from "../engine/isolates";
import { queuedUpdatePasses } from "../installations/update-queue";
import type { Database } from "../lib/database";
import { publishingTransactions } from "../read-models/publishing-transactions";
import type { Context } from "./context";

/**
 * What procedures run with, acting as `claims`: a request's verified caller (trpc/handler.ts)
 * or the actor of a queued update pass (installations/update-fan-out.ts). The caller owns the
 * database, which is asked for only when a procedure first uses it, and says whether this
 * call can ask the gateway to purge its caches.
 */
export function callerContext(
  env: Env,
  execution: ExecutionContext,
  config: PluginsConfig,
  claims: InternalClaims,
  { database, purgeFromEdge }: { database: () => Database; purgeFromEdge: Context["purgeFromEdge"] },
): Context {
  let db: Database | null = null;
  return {
    get db() {
      db ??= publishingTransactions(database(), env.BUNDLES, config.readModels);
      return db;
    },
    bucket: env.BUNDLES,
    identity: claims.identity,
    grant: claims.grant ?? null,
    request: claims.request,
    limits: { upload: config.upload },
    waitUntil: (promise) => execution.waitUntil(promise),
    purgeFromEdge,
    exposeErrors: config.exposeErrors,
    configKeys: config.configKeys,
    signingKeys: config.signingKeys,
    engine: requestEngine(env, () => engineExports(execution), config),
    updates: queuedUpdatePasses(env.UPDATES, claims),
  };
}
