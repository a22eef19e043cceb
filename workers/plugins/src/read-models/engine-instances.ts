import { strongEtag } from "@plugins/runtime";
import { type PluginKind, type PluginManifest, type ServerPermissions, serverPermissions } from "@plugins/schema";
import {
  type Installation,
  installations,
  liveInstallation,
  pluginVersions,
  versionFiles,
} from "@plugins/schema/tables";
import { and, asc, eq, gt, or, sql } from "drizzle-orm";
import type { Database, Transaction } from "../lib/database";
import { recordChange } from "./changes";
import { type ReadModel, readRevisions } from "./read-model";
import type { BuiltDocument } from "./stored-documents";

/**
 * What the plugin engine needs of an instance to run a call (engine/operations.ts), so that a
 * call reads one small document from R2 and no Postgres: its installation, its version's
 * server module and capabilities, and its config with the secrets still sealed. Keyed by
 * `<tenantId>/<instanceId>`; every change to an installation records it (installations/store.ts).
 */
export interface InstanceDocument {
  /** False once uninstalled: the id answers 404 (and may be installed again). */
  live: boolean;
  installationId: string;
  tenantId: string;
  instanceId: string;
  pluginId: string;
  version: string;
  status: Installation["status"];
  blocked: boolean;
  /** Null for a version without a server module. */
  server: { kind: PluginKind; path: string; sha256: string; permissions: ServerPermissions } | null;
  config: Record<string, unknown>;
  sealedSecrets: string | null;
}

export const instanceKey = (tenantId: string, instanceId: string) => `${tenantId}/${instanceId}`;

/** The path of a version's server module in its manifest, in SQL: what joins `version_files` to it. */
export const serverModulePath = sql<string | null>`${pluginVersions.manifest}->>'server'`;

/** What the engine needs of `row`, given its version's manifest, status and server module digest. */
export function instanceDocument(
  row: Installation,
  version: { manifest: PluginManifest; versionStatus: string; sha256: string | null },
): InstanceDocument {
  const { manifest, sha256 } = version;
  return {
    live: row.status !== "uninstalled",
    installationId: row.id,
    tenantId: row.tenantId,
    instanceId: row.instanceId,
    pluginId: row.pluginId,
    version: row.version,
    status: row.status,
    blocked: version.versionStatus === "blocked",
    server:
      manifest.server && manifest.kind && sha256
        ? { kind: manifest.kind, path: manifest.server, sha256, permissions: serverPermissions(manifest) }
        : null,
    config: row.config,
    sealedSecrets: row.sealedSecrets,
  };
}

/** Records, in a write's transaction, that it changes instance `row` (its status, version or config). */
export function recordInstanceChange(tx: Transaction, row: Pick<Installation, "tenantId" | "instanceId">) {
  recordChange(tx, "instances", instanceKey(row.tenantId, row.instanceId));
}

/** Records the instances a version's change (a block) changes: those running it. */
export async function recordInstancesOfVersion(tx: Transaction, pluginId: string, version: string) {
  const rows = await tx
    .select({ tenantId: installations.tenantId, instanceId: installations.instanceId })
    .from(installations)
    .where(and(eq(installations.pluginId, pluginId), eq(installations.version, version), liveInstallation));
  for (const row of rows) recordInstanceChange(tx, row);
}

function splitKey(id: string): { tenantId: string; instanceId: string } {
  const slash = id.indexOf("/");
  return { tenantId: id.slice(0, slash), instanceId: id.slice(slash + 1) };
}

/**
 * The documents of `ids`, from the live row of each, or the latest uninstalled one; an id
 * with no row at all is left out (reading a guessed id stores nothing).
 */
async function buildInstances(db: Database, ids: readonly string[]): Promise<Map<string, InstanceDocument>> {
  if (ids.length === 0) return new Map();
  const pairs = ids.map(splitKey);
  const rows = await db
    .select({
      row: installations,
      manifest: pluginVersions.manifest,
      versionStatus: pluginVersions.status,
      sha256: versionFiles.sha256,
    })
    .from(installations)
    .innerJoin(
      pluginVersions,
      and(eq(pluginVersions.pluginId, installations.pluginId), eq(pluginVersions.version, installations.version)),
    )
    .leftJoin(
      versionFiles,
      and(
        eq(versionFiles.pluginId, pluginVersions.pluginId),
        eq(versionFiles.version, pluginVersions.version),
        eq(versionFiles.path, serverModulePath),
      ),
    )
    .where(
      or(
        ...pairs.map((pair) =>
          and(eq(installations.tenantId, pair.tenantId), eq(installations.instanceId, pair.instanceId)),
        ),
      ),
    )
    .orderBy(asc(installations.installedAt));
  const documents = new Map<string, InstanceDocument>();
  for (const { row, ...version } of rows) {
    const id = instanceKey(row.tenantId, row.instanceId);
    // The live row wins; among uninstalled ones, the latest (rows come oldest first).
    if (documents.get(id)?.live && row.status === "uninstalled") continue;
    documents.set(id, instanceDocument(row, version));
  }
  return documents;
}

export const instanceModel: ReadModel = {
  keyOf: (id) => `instances/${id}`,
  async build(db, ids) {
    const revisionOf = await readRevisions(db, ids.map(instanceModel.keyOf));
    const built = new Map<string, BuiltDocument>();
    for (const [id, document] of await buildInstances(db, ids)) {
      const body = JSON.stringify(document);
      built.set(id, { revision: revisionOf(instanceModel.keyOf(id)), etag: await strongEtag(body), body });
    }
    return built;
  },
  async page(db, after, limit) {
    const key = sql<string>`${installations.tenantId} || '/' || ${installations.instanceId}`;
    const rows = await db
      .selectDistinct({ id: key })
      .from(installations)
      .where(after === undefined ? undefined : gt(key, after))
      .orderBy(asc(key))
      .limit(limit);
    return rows.map((row) => row.id);
  },
};
