import { HARNESS_MODULE } from "./harness";
import type { InstanceProps, OutboundProps, StorageProps } from "./props";
import type { RunningInstance } from "./running-instances";
import { readServerModule } from "./server-modules";

/**
 * Loads an instance's server module into a Dynamic Worker of its own and hands back its
 * entrypoint. The isolate is keyed by plugin, version, the module's sha256 and the
 * installation: an upgrade (another version, another digest) runs new code on the next
 * request with no restart, and two tenants on one version share the bytes in the bucket
 * but never an isolate, so never a global variable (the loader shares module state, and
 * fixes `env` and `globalOutbound`, per key).
 */

/**
 * The compatibility date plugins' isolates run under: the platform's own (both wrangler.toml
 * files), so a plugin sees the runtime the platform was tested on.
 */
const COMPATIBILITY_DATE = "2026-04-20";

/** The loopback bindings of the plugins worker's own entrypoints (`ctx.exports`) the engine hands out. */
export interface EngineExports {
  InstanceLog(options: { props: InstanceProps }): Fetcher;
  InstanceStorage(options: { props: StorageProps }): Fetcher;
  InstanceSql(options: { props: StorageProps }): Fetcher;
  OutboundGateway(options: { props: OutboundProps }): Fetcher;
}

/**
 * `ctx.exports` of a request or of a Durable Object (compatibility date 2025-11-17 or later),
 * which this version of the types does not declare.
 */
export function engineExports(ctx: ExecutionContext | DurableObjectState): EngineExports {
  const { exports } = ctx as { exports?: EngineExports };
  if (!exports) throw new Error("ctx.exports is missing: the compatibility date must be 2025-11-17 or later");
  return exports;
}

/** Keys whose code was read and verified in this isolate of the plugins worker. */
const verified = new Set<string>();
/**
 * The loader keeps a failed load under its key for good; a load that failed for a reason
 * of ours (the bucket) moves its key on to a fresh generation, so the next request retries.
 */
const generations = new Map<string, number>();

interface EngineLimits {
  cpuMs: number;
  subRequests: number;
}

function isolateKey(instance: RunningInstance): string {
  const base = `${instance.pluginId}@${instance.version}#${instance.server.sha256}/${instance.installationId}`;
  return `${base}~${generations.get(base) ?? 0}`;
}

/** The loaded isolate of `instance`. */
export async function loadIsolate(
  env: Env,
  exports: EngineExports,
  instance: RunningInstance,
  options: { limits: EngineLimits; privateHosts: readonly string[] },
): Promise<WorkerStub> {
  const key = isolateKey(instance);
  // Read before the loader is asked: a getCode that fails would be kept under the key.
  const first = verified.has(key) ? null : await readServerModule(env.BUNDLES, instance);
  const stub = env.LOADER.get(key, async () => {
    const source = first ?? (await readServerModule(env.BUNDLES, instance).catch(retryLater(instance)));
    return workerCode(exports, instance, source, options);
  });
  verified.add(key);
  return stub;
}

function retryLater(instance: RunningInstance) {
  return (error: unknown): never => {
    const base = isolateKey(instance).replace(/~\d+$/, "");
    generations.set(base, (generations.get(base) ?? 0) + 1);
    throw error;
  };
}

function workerCode(
  exports: EngineExports,
  instance: RunningInstance,
  source: string,
  options: { limits: EngineLimits; privateHosts: readonly string[] },
): WorkerLoaderWorkerCode {
  const props = {
    tenantId: instance.tenantId,
    instanceId: instance.instanceId,
    pluginId: instance.pluginId,
    storeName: instance.installationId,
  };
  const { permissions } = instance;
  return {
    compatibilityDate: COMPATIBILITY_DATE,
    mainModule: "harness.js",
    modules: { "harness.js": HARNESS_MODULE, "plugin.js": source },
    // Capabilities only: no secret, database, bucket or other instance is in reach.
    env: {
      LOG: exports.InstanceLog({ props }),
      ...(permissions.storageQuotaBytes === null
        ? {}
        : { STORAGE: exports.InstanceStorage({ props: { ...props, quotaBytes: permissions.storageQuotaBytes } }) }),
      // `=== true`: documents written before SQL storage existed have no such field.
      ...(permissions.storageQuotaBytes !== null && permissions.storageSql === true
        ? { SQL: exports.InstanceSql({ props: { ...props, quotaBytes: permissions.storageQuotaBytes } }) }
        : {}),
    },
    globalOutbound: exports.OutboundGateway({
      props: { ...props, hosts: permissions.hosts, privateHosts: [...options.privateHosts] },
    }),
    limits: options.limits,
  };
}
