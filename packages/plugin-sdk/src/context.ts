import { instanceLogger, type Logger } from "./logger";
import type { Caller, PluginEnv } from "./module";
import { instanceSql, type Sql } from "./sql";
import { instanceStorage, type Storage } from "./storage";

/** An instance's configuration: its config schema's properties, secrets included. */
export type PluginConfig = Record<string, unknown>;

/** What every hook and scheduled run gets. */
export interface PluginContext<Config = PluginConfig> {
  pluginId: string;
  version: string;
  tenantId: string;
  instanceId: string;
  /** The instance's config, secrets included: it reaches the plugin here only. */
  config: Config;
  storage: Storage;
  /** The instance's own SQL database, with `"sql": true` in the manifest's `permissions.storage`. */
  sql: Sql;
  log: Logger;
  /** The global fetch: the platform lets through only the hosts the manifest declares. */
  fetch: typeof fetch;
}

/** What the request handler gets: the above, and who is calling. */
export interface RequestContext<Config = PluginConfig> extends PluginContext<Config> {
  caller: Caller;
}

export function pluginContext<Config>(env: PluginEnv, track: (write: Promise<void>) => void): PluginContext<Config> {
  const { pluginId, version, tenantId, instanceId, config } = env.PLUGIN;
  return {
    pluginId,
    version,
    tenantId,
    instanceId,
    config: config as Config,
    storage: instanceStorage(env.STORAGE),
    sql: instanceSql(env.SQL),
    log: instanceLogger(env.LOG, track),
    // Looked up at each call, and never passed unbound (workerd throws "Illegal invocation").
    fetch: (input, init) => fetch(input, init),
  };
}

export function requestContext<Config>(env: PluginEnv, track: (write: Promise<void>) => void): RequestContext<Config> {
  if (!env.CALLER) throw new Error("the platform passed no caller to this request");
  return { ...pluginContext<Config>(env, track), caller: env.CALLER };
}
