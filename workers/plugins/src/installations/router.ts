import {
  configureInputSchema,
  installInputSchema,
  instanceChangeSchema,
  instanceRefSchema,
  listInstancesInputSchema,
  resealInputSchema,
  setUpdatePolicyInputSchema,
  upgradeInputSchema,
} from "@plugins/schema";
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
