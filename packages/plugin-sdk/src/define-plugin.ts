import { type PluginConfig, type PluginContext, pluginContext, type RequestContext, requestContext } from "./context";
import { errorResponse } from "./error-response";
import type { LifecycleMethod, PluginEnv, PluginModule, ScheduledTask } from "./module";

export type RequestHandler<Config = PluginConfig> = (
  request: Request,
  context: RequestContext<Config>,
) => Response | Promise<Response>;

export type LifecycleHook<Config = PluginConfig> = (context: PluginContext<Config>) => void | Promise<void>;

/** The versions an upgrade, rollback or automatic update moves an instance between. */
export interface VersionChange {
  fromVersion: string;
  toVersion: string;
}

export type TaskHandler<Config = PluginConfig> = (
  context: PluginContext<Config>,
  task: ScheduledTask,
) => void | Promise<void>;

interface Hooks<Config> {
  /** Runs before the installation is stored; throwing refuses it (409 naming the hook and the message). */
  onInstall?: LifecycleHook<Config>;
  onActivate?: LifecycleHook<Config>;
  onDeactivate?: LifecycleHook<Config>;
  /** Runs before the instance and its storage are deleted. */
  onUninstall?: LifecycleHook<Config>;
  /** Runs before an upgrade, rollback or automatic update of the instance is stored. */
  onUpdate?: (context: PluginContext<Config>, change: VersionChange) => void | Promise<void>;
  /** Answers the instance's operations (`/api/plugins/instances/:instanceId/*`). */
  fetch?: RequestHandler<Config>;
}

/** The manifest's schedules, run by one function for all of them, or by one function per name. */
type Schedules<Config> =
  | { runScheduledTask?: (task: ScheduledTask, context: PluginContext<Config>) => void | Promise<void>; tasks?: never }
  | { tasks?: Record<string, TaskHandler<Config>>; runScheduledTask?: never };

export type PluginDefinition<Config = PluginConfig> = Hooks<Config> & Schedules<Config>;

/**
 * Builds the server module's default export (`export default definePlugin({...})`) from typed
 * hooks: each method of the plain module builds the context from `env`, calls the hook, and
 * waits for the log lines it wrote. Only the hooks given become methods, as in a module written
 * by hand; `fetch` is always there, answering 404 when the plugin has no request handler.
 */
export function definePlugin<Config = PluginConfig>(definition: PluginDefinition<Config>): PluginModule {
  const { onInstall, onActivate, onDeactivate, onUninstall, onUpdate, fetch, runScheduledTask, tasks } = definition;
  if (runScheduledTask && tasks) throw new Error("definePlugin: give runScheduledTask or tasks, not both");

  const module: PluginModule = {
    async fetch(request, env, ctx) {
      if (!fetch) return errorResponse(404, "NOT_FOUND", "this plugin has no request handler");
      return fetch(
        request,
        requestContext<Config>(env, (write) => ctx.waitUntil(write)),
      );
    },
  };
  if (onInstall) module.onInstall = lifecycle(onInstall);
  if (onActivate) module.onActivate = lifecycle(onActivate);
  if (onDeactivate) module.onDeactivate = lifecycle(onDeactivate);
  if (onUninstall) module.onUninstall = lifecycle(onUninstall);
  if (onUpdate) {
    module.onUpdate = (event, env) =>
      invoke<Config>(env, (context) =>
        onUpdate(context, { fromVersion: event.fromVersion, toVersion: event.toVersion }),
      );
  }
  if (runScheduledTask) {
    module.scheduled = (event, env) =>
      invoke<Config>(env, (context) => runScheduledTask(scheduledTask(event), context));
  } else if (tasks) {
    module.scheduled = (event, env) =>
      invoke<Config>(env, (context) => taskHandler(tasks, event.name)(context, scheduledTask(event)));
  }
  return module;
}

function lifecycle<Config>(hook: LifecycleHook<Config>): LifecycleMethod {
  return (_event, env) => invoke<Config>(env, hook);
}

/** Runs a hook or a task, then waits for its log lines, those of a hook that threw included. */
async function invoke<Config>(env: PluginEnv, run: (context: PluginContext<Config>) => void | Promise<void>) {
  const writes: Promise<void>[] = [];
  try {
    await run(pluginContext<Config>(env, (write) => writes.push(write)));
  } finally {
    await Promise.all(writes);
  }
}

/** Only the task's own fields: the event object is the platform's. */
function scheduledTask({ name, cron, scheduledTime }: ScheduledTask): ScheduledTask {
  return { name, cron, scheduledTime };
}

function taskHandler<Config>(tasks: Record<string, TaskHandler<Config>>, name: string): TaskHandler<Config> {
  // Own names only: a schedule named "constructor" must not reach Object's.
  const handler = Object.hasOwn(tasks, name) ? tasks[name] : undefined;
  if (handler) return handler;
  const known = Object.keys(tasks);
  throw new Error(
    `no handler for scheduled task "${name}": tasks has ${known.length ? known.map((key) => `"${key}"`).join(", ") : "none"}`,
  );
}
