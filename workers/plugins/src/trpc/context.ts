import type { R2Bucket } from "@cloudflare/workers-types/2023-07-01/index";
import type { Grant, Identity, RequestFacts } from "@plugins/schema";
import type { UploadLimits } from "../bundles/limits";
import type { Engine } from "../engine/lifecycle";
import type { ConfigKeys } from "../installations/secrets";
import type { UpdatePasses } from "../installations/update-passes";
import type { Database } from "../lib/database";
import type { SigningKey } from "../signatures/signing-keys";

/** Everything a procedure may use. Built per request; tests build it directly for `createCaller`. */
export interface Context {
  db: Database;
  bucket: R2Bucket;
  identity: Identity;
  /** Set when the caller used a publish token: the only things it may do. */
  grant: Grant | null;
  request: RequestFacts;
  limits: { upload: UploadLimits };
  /** Work to finish after the response (logging, cache fills); `ctx.waitUntil` in a Worker. */
  waitUntil: (promise: Promise<unknown>) => void;
  /**
   * Asks the gateway to drop these public bundle paths from its caches once this call
   * answers; null on a streamed call, whose headers are sent before any procedure runs.
   */
  purgeFromEdge: ((paths: readonly string[]) => void) | null;
  /** Whether error responses may carry internal details (local development only). */
  exposeErrors: boolean;
  /** The keys that seal and open the secret fields of instance configs. */
  configKeys: ConfigKeys;
  /** Runs instances' lifecycle hooks in their isolates (engine/hooks.ts). */
  engine: Engine;
  /** The registry's Ed25519 keys (SIGNING_KEYS): what signs new versions and what verifies them. */
  signingKeys: readonly SigningKey[];
  /** Queues the passes that move a plugin's following instances (installations/update-queue.ts; consumed by update-fan-out.ts). */
  updates: UpdatePasses;
}
