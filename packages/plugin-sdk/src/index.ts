/**
 * The SDK for server-side plugins: `definePlugin` turns typed hooks into the plain module the
 * platform's loader runs, and `routes` answers a plugin's operations from a table.
 */
export type { PluginConfig, PluginContext, RequestContext } from "./context";
export {
  definePlugin,
  type LifecycleHook,
  type PluginDefinition,
  type RequestHandler,
  type TaskHandler,
  type VersionChange,
} from "./define-plugin";
export type { Logger } from "./logger";
export type {
  Caller,
  InvocationContext,
  Json,
  LifecycleEvent,
  LogBinding,
  LogLevel,
  PluginEnv,
  PluginFacts,
  PluginModule,
  ScheduledTask,
  SqlBinding,
  SqlParam,
  SqlResult,
  SqlStatement,
  SqlValue,
  StorageBinding,
  StorageListOptions,
  UpdateEvent,
} from "./module";
export { type Route, type RouteHandler, type RouteMethod, type RouteParams, route, routes } from "./routes";
export type { Sql, SqlRows } from "./sql";
export type { ListOptions, Storage } from "./storage";
