import {
  configureInputSchema,
  exportSqlRowsInputSchema,
  exportStorageInputSchema,
  installInputSchema,
  instanceChangeSchema,
  instanceRefSchema,
  listInstancesInputSchema,
  resealInputSchema,
  setUpdatePolicyInputSchema,
  tenantRefSchema,
  upgradeInputSchema,
} from "@plugins/schema";
import { runsServerModule, serverInstances } from "../engine/running-instances";
import { RegistryError } from "../lib/errors";
import { roleProcedure, router, tenantProcedure } from "../trpc/init";
import { configureInstance } from "./configure";
import { setUpdatePolicy } from "./follow-updates";
import { installPlugin } from "./install";
import { resealSecrets } from "./reseal";
import { changeStatus } from "./status";
import { listInstances, loadInstance, view } from "./store";
import { rollbackInstance, upgradeInstance } from "./version-moves";

/** Reads: any member of the tenant. Changes: its editors, and admins. Others: 404. */
const reader = tenantProcedure("admin", "editor", "viewer");
const manager = tenantProcedure("admin", "editor");

export const installationsRouter = router({
  /** Installs a plugin for a tenant, pinned to the exact version its tag or range names now: see install.ts. */
  install: manager.input(installInputSchema).mutation(({ ctx, input }) => installPlugin(ctx, input)),

  /** The tenant's instances; with `includeUninstalled`, its history too. */
  list: reader.input(listInstancesInputSchema).query(({ ctx, input }) => listInstances(ctx.db, input)),

  /** One instance: its status, version, policy, public config and which secrets are set. */
  get: reader.input(instanceRefSchema).query(async ({ ctx, input }) => view(await loadInstance(ctx.db, input))),

  /**
   * The instance's scheduled tasks (its version's `permissions.schedules` while it is active):
   * when each is next due and how its last run went, and the latest runs with their start,
   * duration and outcome. An instance without schedules has none.
   */
  schedule: reader.input(instanceRefSchema).query(async ({ ctx, input }) => {
    const instance = await loadInstance(ctx.db, input);
    return ctx.engine.schedule(instance.id);
  }),

  /**
   * How the instance's server module is doing: calls, failures, deadline and size-limit hits,
   * p50/p99 latency, health over the last 15 minutes, the last error and the last scheduled
   * run. `runtime` is null for a plugin without a server module.
   */
  metrics: reader.input(instanceRefSchema).query(async ({ ctx, input }) => {
    const instance = await loadInstance(ctx.db, input);
    const runtime = (await runsServerModule(ctx.db, instance)) ? await ctx.engine.metrics(instance.id) : null;
    return { instanceId: instance.instanceId, pluginId: instance.pluginId, version: instance.version, runtime };
  }),

  /** The same for every live instance of the tenant that runs a server module: the tenant's plugins at a glance. */
  metricsSummary: reader.input(tenantRefSchema).query(async ({ ctx, input }) => {
    const instances = await serverInstances(ctx.db, input.tenantId);
    return Promise.all(
      instances.map(async ({ id, ...instance }) => ({ ...instance, runtime: await ctx.engine.metrics(id) })),
    );
  }),

  /**
   * What the instance's server module stored, a page at a time (admins only: it may hold
   * anything the plugin keeps), with what it uses of its quota, and `sql`: its SQL database's
   * tables with their row counts (null without one). Uninstalled instances have none left.
   */
  exportStorage: tenantProcedure("admin")
    .input(exportStorageInputSchema)
    .query(async ({ ctx, input }) => {
      const instance = await loadInstance(ctx.db, input);
      return ctx.engine.exportStorage(instance.id, { cursor: input.cursor ?? null, limit: input.limit });
    }),

  /** The rows of one table of the instance's SQL database, a page at a time (admins only, as above). */
  exportSqlRows: tenantProcedure("admin")
    .input(exportSqlRowsInputSchema)
    .query(async ({ ctx, input }) => {
      const instance = await loadInstance(ctx.db, input);
      const page = await ctx.engine.exportSqlRows(instance.id, input);
      if (!page)
        throw new RegistryError("NOT_FOUND", `Instance '${input.instanceId}' has no SQL table '${input.table}'`);
      return page;
    }),

  /** installed or inactive → active (`start`). The host is checked again: it may have changed since. */
  activate: manager.input(instanceChangeSchema).mutation(({ ctx, input }) => changeStatus(ctx, input, "activate")),
  /** active → inactive (`stop`). */
  deactivate: manager.input(instanceChangeSchema).mutation(({ ctx, input }) => changeStatus(ctx, input, "deactivate")),
  /** installed or inactive → uninstalled; the row stays as history and the instance id is free again. */
  uninstall: manager.input(instanceChangeSchema).mutation(({ ctx, input }) => changeStatus(ctx, input, "uninstall")),

  /** Replaces the configuration; secret fields left out keep their value, `null` removes one. */
  configure: manager.input(configureInputSchema).mutation(({ ctx, input }) => configureInstance(ctx, input)),

  /** Moves an instance to another version, higher or lower, if its config and the host fit it. */
  upgrade: manager.input(upgradeInputSchema).mutation(({ ctx, input }) => upgradeInstance(ctx, input)),

  /** Moves an instance back to the version it had before its last upgrade. */
  rollback: manager.input(instanceChangeSchema).mutation(({ ctx, input }) => rollbackInstance(ctx, input)),

  /** Finishes a key rotation, a page at a time: see reseal.ts. */
  resealSecrets: roleProcedure("admin")
    .input(resealInputSchema)
    .mutation(({ ctx, input }) => resealSecrets(ctx, input)),

  /** Sets which new versions the instance follows, and catches it up to the newest of them now. */
  setUpdatePolicy: manager.input(setUpdatePolicyInputSchema).mutation(({ ctx, input }) => setUpdatePolicy(ctx, input)),
});
