import { type PluginManifest, type ServerPermissions, serverPermissions } from "@plugins/schema";
import {
  type Installation,
  installations,
  liveInstallation,
  pluginVersions,
  versionFiles,
} from "@plugins/schema/tables";
import { and, asc, eq, isNotNull, sql } from "drizzle-orm";
import type { ConfigKeys } from "../installations/secrets";
import { storedSecrets } from "../installations/store";
import type { Database, Transaction } from "../lib/database";
import { RegistryError } from "../lib/errors";

/** An instance as the engine runs it: its installation, its version's server module and capabilities, its config. */
export interface RunningInstance {
  installationId: string;
  tenantId: string;
  instanceId: string;
  pluginId: string;
  version: string;
  status: Installation["status"];
  kind: NonNullable<PluginManifest["kind"]>;
  server: { path: string; sha256: string };
  permissions: ServerPermissions;
  /** The configuration with its secret fields opened: only the plugin's own isolate sees it. */
  config: Record<string, unknown>;
}

/**
 * The engine's view of `row`, a live installation: NOT_FOUND when its version has no
 * server module (a frontend-only plugin has nothing to run).
 */
export async function runningInstance(
  db: Database | Transaction,
  configKeys: ConfigKeys,
  row: Installation,
): Promise<RunningInstance> {
  const [version] = await db
    .select({ manifest: pluginVersions.manifest })
    .from(pluginVersions)
    .where(and(eq(pluginVersions.pluginId, row.pluginId), eq(pluginVersions.version, row.version)));
  const manifest = version?.manifest;
  if (!manifest?.server || !manifest.kind) {
    throw new RegistryError(
      "NOT_FOUND",
      `Instance '${row.instanceId}' runs ${row.pluginId}@${row.version}, which has no server module`,
    );
  }
  const [file] = await db
    .select({ sha256: versionFiles.sha256 })
    .from(versionFiles)
    .where(
      and(
        eq(versionFiles.pluginId, row.pluginId),
        eq(versionFiles.version, row.version),
        eq(versionFiles.path, manifest.server),
      ),
    );
  if (!file) throw new Error(`${row.pluginId}@${row.version} has no row for its server module ${manifest.server}`);
  return {
    installationId: row.id,
    tenantId: row.tenantId,
    instanceId: row.instanceId,
    pluginId: row.pluginId,
    version: row.version,
    status: row.status,
    kind: manifest.kind,
    server: { path: manifest.server, sha256: file.sha256 },
    permissions: serverPermissions(manifest),
    config: { ...row.config, ...(await storedSecrets({ configKeys }, row)) },
  };
}

/** What `env.PLUGIN` holds: the instance, and its configuration with secrets. */
export function pluginFacts(instance: RunningInstance) {
  return {
    pluginId: instance.pluginId,
    version: instance.version,
    tenantId: instance.tenantId,
    instanceId: instance.instanceId,
    config: instance.config,
  };
}

/** The live instances of `tenantId` whose version runs a server module, oldest first. */
export async function serverInstances(db: Database | Transaction, tenantId: string) {
  const server = sql<string | null>`${pluginVersions.manifest}->>'server'`;
  return db
    .select({
      id: installations.id,
      instanceId: installations.instanceId,
      pluginId: installations.pluginId,
      version: installations.version,
      status: installations.status,
    })
    .from(installations)
    .innerJoin(
      pluginVersions,
      and(eq(pluginVersions.pluginId, installations.pluginId), eq(pluginVersions.version, installations.version)),
    )
    .where(and(eq(installations.tenantId, tenantId), liveInstallation, isNotNull(server)))
    .orderBy(asc(installations.installedAt), asc(installations.id));
}

/** Whether the version `row` runs has a server module. */
export async function runsServerModule(db: Database | Transaction, row: Installation): Promise<boolean> {
  const [version] = await db
    .select({ server: sql<string | null>`${pluginVersions.manifest}->>'server'` })
    .from(pluginVersions)
    .where(and(eq(pluginVersions.pluginId, row.pluginId), eq(pluginVersions.version, row.version)));
  return typeof version?.server === "string";
}
