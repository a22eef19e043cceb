import { type HeldUpdate, type listInstancesInputSchema, type PluginManifest, secretFields } from "@plugins/schema";
import {
  type Installation,
  type InstanceView,
  installations,
  liveInstallation,
  type PluginVersion,
  pluginVersions,
} from "@plugins/schema/tables";
import { and, asc, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Database, Transaction } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { recordInstanceChange } from "../read-models/engine-instances";
import type { Context } from "../trpc/context";
import { type Host, hostProblems } from "./compatibility";
import { carriedConfig, checkConfig, mergeSecrets, splitSecrets } from "./config";
import { secretBox } from "./secrets";

/** An instance as it is returned: the sealed secrets never leave the worker. */
export function view({ sealedSecrets: _sealed, ...visible }: Installation): InstanceView {
  return visible;
}

/**
 * The live (not uninstalled) instance `instanceId` of the tenant. With `revision`, the
 * caller's view must be current, as with If-Match.
 */
export async function loadInstance(
  db: Database | Transaction,
  ref: { tenantId: string; instanceId: string; revision?: number },
): Promise<Installation> {
  const [row] = await db
    .select()
    .from(installations)
    .where(
      and(eq(installations.tenantId, ref.tenantId), eq(installations.instanceId, ref.instanceId), liveInstallation),
    );
  if (!row) throw new RegistryError("NOT_FOUND", `No instance '${ref.instanceId}'`);
  if (ref.revision !== undefined && ref.revision !== row.revision) {
    throw staleRevision(row.instanceId, ref.revision, row.revision);
  }
  return row;
}

/** The tenant's instances, oldest first; with `includeUninstalled`, its history too. */
export async function listInstances(db: Database, input: z.output<typeof listInstancesInputSchema>) {
  const rows = await db
    .select()
    .from(installations)
    .where(and(eq(installations.tenantId, input.tenantId), input.includeUninstalled ? undefined : liveInstallation))
    .orderBy(asc(installations.installedAt), asc(installations.id));
  return rows.map(view);
}

/** The version row an instance runs; every instance has one (a foreign key). */
export async function installedVersion(tx: Transaction, instance: Installation) {
  const [version] = await tx
    .select()
    .from(pluginVersions)
    .where(and(eq(pluginVersions.pluginId, instance.pluginId), eq(pluginVersions.version, instance.version)));
  if (!version) throw new Error(`${instance.pluginId}@${instance.version} of instance ${instance.id} has no row`);
  return version;
}

/** Whether any version of `pluginId` has a server module: only those give instances code to run and data to keep. */
export async function anyVersionHasServer(tx: Transaction, pluginId: string): Promise<boolean> {
  const [withServer] = await tx
    .select({ version: pluginVersions.version })
    .from(pluginVersions)
    .where(and(eq(pluginVersions.pluginId, pluginId), sql`${pluginVersions.manifest} ->> 'server' is not null`))
    .limit(1);
  return withServer !== undefined;
}

/**
 * Writes a change to an instance if nobody changed it since `current` was read: the
 * revision is the optimistic lock. Of two concurrent changes one wins; the other gets
 * CONFLICT and nothing of it is stored.
 */
export async function changeInstance(
  tx: Transaction,
  current: Installation,
  change: Partial<
    Pick<
      Installation,
      | "status"
      | "version"
      | "previousVersion"
      | "updatePolicy"
      | "config"
      | "sealedSecrets"
      | "secretsSet"
      | "heldUpdate"
    >
  > & {
    uninstalled?: boolean;
  },
): Promise<Installation> {
  const { uninstalled, ...columns } = change;
  const [updated] = await tx
    .update(installations)
    .set({
      ...columns,
      revision: sql`${installations.revision} + 1`,
      updatedAt: sql`now()`,
      ...(uninstalled ? { uninstalledAt: sql`now()` } : {}),
    })
    .where(and(eq(installations.id, current.id), eq(installations.revision, current.revision)))
    .returning();
  if (!updated) {
    const [now] = await tx
      .select({ revision: installations.revision })
      .from(installations)
      .where(eq(installations.id, current.id));
    throw staleRevision(current.instanceId, current.revision, now?.revision ?? current.revision + 1);
  }
  recordInstanceChange(tx, updated);
  return updated;
}

/**
 * Stores the held update the latest follow pass found for `instance`, which that pass holds
 * locked. It is not a change of the instance (revision and updatedAt stay): the pass comes of
 * someone else's publish, and it must not make the tenant's own If-Match changes fail.
 */
export async function storeHold(tx: Transaction, instance: Installation, heldUpdate: HeldUpdate | null) {
  await tx.update(installations).set({ heldUpdate }).where(eq(installations.id, instance.id));
}

function staleRevision(instanceId: string, expected: number, actual: number): RegistryError {
  return new RegistryError(
    "CONFLICT",
    `Instance '${instanceId}' changed meanwhile (revision ${actual}, not ${expected}); read it again and retry`,
  );
}

/** A move the instance's config or its tenant's host does not allow: CONFLICT naming every reason. */
export function refused(what: string, problems: string[]): RegistryError {
  return new RegistryError("CONFLICT", `${what}: ${problems.join("; ")}`);
}

/** The secret fields stored for an instance, opened. */
export async function storedSecrets(ctx: Pick<Context, "configKeys">, row: Installation) {
  if (!row.sealedSecrets) return {};
  return (await secretBox(ctx)).open(row.sealedSecrets, row.id);
}

/** The columns that hold a configuration: the visible part, and the secrets sealed to instance `rowId`. */
export async function storableConfig(
  ctx: Pick<Context, "configKeys">,
  manifest: PluginManifest,
  rowId: string,
  config: Record<string, unknown>,
) {
  const { visible, secrets } = splitSecrets(manifest.config, config);
  const secretsSet = Object.keys(secrets).sort();
  const sealedSecrets = secretsSet.length > 0 ? await (await secretBox(ctx)).seal(secrets, rowId) : null;
  return { config: visible, sealedSecrets, secretsSet };
}

export type Fit = { ok: true; config: Record<string, unknown> } | { ok: false; problems: string[] };

/**
 * Whether an instance with `config` (secrets included) can run `version` on the tenant's
 * host: the config against the version's schema (defaults applied), then the host checks.
 * `secretsSet`, the fields the instance holds as secrets now, must stay secret: a version
 * that no longer marks one writeOnly would store and show it in clear.
 */
export function fitVersion(
  version: PluginVersion,
  host: Host | null,
  config: Record<string, unknown>,
  secretsSet: readonly string[] = [],
): Fit {
  const checked = checkConfig(version.manifest.config, config);
  const stillSecret = new Set(secretFields(version.manifest.config));
  const problems = [
    ...(checked.ok ? [] : checked.problems),
    ...secretsSet
      .filter((field) => Object.hasOwn(config, field) && !stillSecret.has(field))
      .map((field) => `config.${field}: is secret now, and ${version.version} would store it in clear`),
    ...hostProblems(version.manifest, host),
  ];
  return checked.ok && problems.length === 0 ? { ok: true, config: checked.config } : { ok: false, problems };
}

export type MovePlan =
  | {
      ok: true;
      change: Pick<
        Installation,
        "version" | "previousVersion" | "config" | "sealedSecrets" | "secretsSet" | "heldUpdate"
      >;
    }
  | { ok: false; problems: string[] };

/**
 * What moving `instance` from its `installed` version to `target` would store, or why it
 * cannot move. Any move (an automatic update, an upgrade, a rollback) ends a held update:
 * it was held against the version the instance leaves. The config is the stored one carried over (see `carriedConfig`), or `sent`
 * when the caller gives the config the target needs, its secrets merged as in a configure.
 * Secrets that cannot be opened (a rotated key) are a reason not to move, never a throw.
 */
export async function planMove(
  ctx: Pick<Context, "configKeys">,
  instance: Installation,
  installed: PluginVersion,
  target: PluginVersion,
  host: Host | null,
  sent?: Record<string, unknown>,
): Promise<MovePlan> {
  let secrets: Record<string, unknown>;
  try {
    secrets = await storedSecrets(ctx, instance);
  } catch {
    return { ok: false, problems: ["config: the stored secret fields cannot be opened with the configured key"] };
  }
  const config = sent
    ? mergeSecrets(target.manifest.config, sent, secrets)
    : carriedConfig(installed.manifest.config, target.manifest.config, { ...instance.config, ...secrets });
  const fit = fitVersion(target, host, config, instance.secretsSet);
  if (!fit.ok) return fit;
  return {
    ok: true,
    change: {
      version: target.version,
      previousVersion: instance.version,
      heldUpdate: null,
      ...(await storableConfig(ctx, target.manifest, instance.id, fit.config)),
    },
  };
}
