import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { WorkerOptions } from "miniflare";
import {
  DEV_CONFIG_ENCRYPTION_KEY,
  DEV_INTERNAL_TOKEN_SECRET,
  DEV_JWT_AUDIENCE,
  DEV_JWT_ISSUER,
  DEV_JWT_SECRET,
  DEV_SIGNING_KEYS,
} from "./dev-token";
import type { WorkerBundles } from "./worker-bundles";

/** Must match both wrangler.toml files. */
export const COMPATIBILITY_DATE = "2026-04-20";

export interface PlatformOptions {
  bundles: WorkerBundles;
  databaseUrl: string;
  /** NEON_LOCAL_PROXY: the WebSocket bridge to the local Postgres. */
  bridgeAddress: string;
  apiBindings?: Record<string, string>;
  pluginsBindings?: Record<string, string>;
  /** Turns the API worker's edge cache off (Miniflare's Cache API). */
  edgeCache?: boolean;
  /** Requests per period of each rate-limiting binding; by default too high to reach. */
  rateLimits?: Partial<Record<"write" | "read" | "bundle", number>>;
}

const UNREACHABLE_LIMIT = 1_000_000;

/**
 * The single module `wrangler deploy` would upload. Declared explicitly: Miniflare's own
 * import scan refuses the bundle's (unused) dynamic `import()` inside zip.js.
 */
function bundleModule(path: string): WorkerOptions["modules"] {
  return [{ type: "ESModule", path, contents: readFileSync(path, "utf8") }];
}

/**
 * Both workers as Miniflare runs them: the API worker first (the entry), joined to the
 * plugins worker by the PLUGINS service binding, with the dev secrets.
 */
export function platformWorkers(options: PlatformOptions): WorkerOptions[] {
  return [
    {
      name: "api",
      modules: bundleModule(options.bundles.api),
      modulesRoot: dirname(options.bundles.api),
      compatibilityDate: COMPATIBILITY_DATE,
      cache: options.edgeCache ?? true,
      bindings: {
        JWT_SECRET: DEV_JWT_SECRET,
        JWT_ISSUER: DEV_JWT_ISSUER,
        JWT_AUDIENCE: DEV_JWT_AUDIENCE,
        INTERNAL_TOKEN_SECRET: DEV_INTERNAL_TOKEN_SECRET,
        ENVIRONMENT: "test",
        ...options.apiBindings,
      },
      // ASSETS, as `[assets]` in wrangler.toml gives it: see webAppAssets below.
      serviceBindings: { PLUGINS: "plugins", ASSETS: WEB_APP_WORKER },
      ratelimits: {
        WRITE_LIMITER: { simple: { limit: options.rateLimits?.write ?? UNREACHABLE_LIMIT, period: 60 } },
        READ_LIMITER: { simple: { limit: options.rateLimits?.read ?? UNREACHABLE_LIMIT, period: 60 } },
        BUNDLE_LIMITER: { simple: { limit: options.rateLimits?.bundle ?? UNREACHABLE_LIMIT, period: 10 } },
      },
    },
    {
      name: "plugins",
      modules: bundleModule(options.bundles.plugins),
      modulesRoot: dirname(options.bundles.plugins),
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: {
        DATABASE_URL: options.databaseUrl,
        NEON_LOCAL_PROXY: options.bridgeAddress,
        INTERNAL_TOKEN_SECRET: DEV_INTERNAL_TOKEN_SECRET,
        CONFIG_ENCRYPTION_KEY: DEV_CONFIG_ENCRYPTION_KEY,
        SIGNING_KEYS: DEV_SIGNING_KEYS,
        ENVIRONMENT: "test",
        ...options.pluginsBindings,
      },
      r2Buckets: { BUNDLES: "plugin-bundles" },
      // As in workers/plugins/wrangler.toml, with batches that do not wait: a test polls for the
      // pages of a pass, each one a message of its own. The dead-letter queue has no consumer.
      queueProducers: { UPDATES: { queueName: "plugin-updates" } },
      queueConsumers: {
        "plugin-updates": {
          maxBatchSize: 10,
          maxBatchTimeout: 0.05,
          maxRetries: 3,
          retryDelay: 0,
          deadLetterQueue: "plugin-updates-failed",
        },
      },
      // As in workers/plugins/wrangler.toml: the plugin engine's loader, instance stores and databases.
      workerLoaders: { LOADER: {} },
      durableObjects: {
        INSTANCE_STORES: { className: "InstanceStore", useSQLite: true },
        INSTANCE_DATABASES: { className: "InstanceDatabase", useSQLite: true },
      },
    },
    webAppAssets(options.bundles.webApp),
  ];
}

const WEB_APP_WORKER = "web-app-assets";

/**
 * The API worker's static assets (the marketplace and console), as a worker of their own that
 * the API worker's ASSETS binding reaches. Deployed, `[assets]` with `run_worker_first` gives
 * the API worker every request and an ASSETS binding to the same files; Miniflare would put
 * its asset router in front of the API worker instead, a hop on every platform request (the
 * benchmark's included) that also cuts the connection when a refusal leaves a request body
 * unread. So the API worker stays the entry, and only ASSETS calls reach the router.
 */
function webAppAssets(directory: string): WorkerOptions {
  return {
    name: WEB_APP_WORKER,
    modules: [
      {
        type: "ESModule",
        path: "web-app-assets.js",
        contents: "export default { fetch: (request, env) => env.ASSETS.fetch(request) };",
      },
    ],
    compatibilityDate: COMPATIBILITY_DATE,
    assets: {
      directory,
      binding: "ASSETS",
      routerConfig: { has_user_worker: false },
    },
  };
}
