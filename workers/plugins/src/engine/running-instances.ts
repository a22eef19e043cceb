import type { PluginKind, ServerPermissions } from "@plugins/schema";
import {
  type Installation,
  installations,
  liveInstallation,
  pluginVersions,
  versionFiles,
} from "@plugins/schema/tables";
import { and, asc, eq, isNotNull } from "drizzle-orm";
import { type ConfigKeys, secretBox } from "../installations/secrets";
import type { Database, Transaction } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { type InstanceDocument, instanceDocument, serverModulePath } from "../read-models/engine-instances";

/**
 * An instance as the engine runs it: its read model's document (read-models/engine-instances.ts)
 * with the server module required and unpacked, and `config` holding the secret fields opened:
 * only the plugin's own isolate sees them.
 */
export type RunningInstance = Omit<InstanceDocument, "live" | "server" | "sealedSecrets"> & {
  kind: PluginKind;
  server: { path: string; sha256: string };
  permissions: ServerPermissions;
};

/** A version's manifest and its server module's sha256, in one statement. */
function versionWithServer(db: Database | Transaction) {
  return db
    .select({ manifest: pluginVersions.manifest, versionStatus: pluginVersions.status, sha256: versionFiles.sha256 })
    .from(pluginVersions)
    .leftJoin(
      versionFiles,
      and(
        eq(versionFiles.pluginId, pluginVersions.pluginId),
        eq(versionFiles.version, pluginVersions.version),
        eq(versionFiles.path, serverModulePath),
      ),
    );
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
  const [version] = await versionWithServer(db).where(
    and(eq(pluginVersions.pluginId, row.pluginId), eq(pluginVersions.version, row.version)),
  );
  if (!version) throw new Error(`${row.pluginId}@${row.version} of instance ${row.id} has no row`);
  return instanceFromDocument(instanceDocument(row, version), configKeys);
}

/**
 * The instance a call runs, from its read model (read-models/engine-instances.ts): NOT_FOUND
 * for an instance uninstalled or one whose version has no server module.
 */
export async function instanceFromDocument(
  document: InstanceDocument,
  configKeys: ConfigKeys,
): Promise<RunningInstance> {
  if (!document.live) throw new RegistryError("NOT_FOUND", `No instance '${document.instanceId}'`);
  const { server } = document;
  if (!server) {
    throw new RegistryError(
      "NOT_FOUND",
      `Instance '${document.instanceId}' runs ${document.pluginId}@${document.version}, which has no server module`,
    );
  }
  const secrets = document.sealedSecrets
    ? await (await secretBox({ configKeys })).open(document.sealedSecrets, document.installationId)
    : {};
  return {
    installationId: document.installationId,
    tenantId: document.tenantId,
    instanceId: document.instanceId,
    pluginId: document.pluginId,
    version: document.version,
    status: document.status,
    blocked: document.blocked,
    kind: server.kind,
    server: { path: server.path, sha256: server.sha256 },
    permissions: server.permissions,
    config: { ...document.config, ...secrets },
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
    .where(and(eq(installations.tenantId, tenantId), liveInstallation, isNotNull(serverModulePath)))
    .orderBy(asc(installations.installedAt), asc(installations.id));
}

/** Whether the version `row` runs has a server module. */
export async function runsServerModule(db: Database | Transaction, row: Installation): Promise<boolean> {
  const [version] = await db
    .select({ server: serverModulePath })
    .from(pluginVersions)
    .where(and(eq(pluginVersions.pluginId, row.pluginId), eq(pluginVersions.version, row.version)));
  return typeof version?.server === "string";
}
