import { strongEtag } from "@plugins/runtime";
import {
  bundleUrlPath,
  extensionPointNames,
  importSpecifier,
  type ManifestPlugin,
  type TenantManifest,
} from "@plugins/schema";
import { installations, liveInstallation, pluginVersions, tenantManifests, versionFiles } from "@plugins/schema/tables";
import { and, asc, eq, inArray, like, or, sql } from "drizzle-orm";
import type { Database, Transaction } from "../lib/database";
import { recordChange } from "../read-models/changes";
import type { SigningKey } from "../signatures/signing-keys";
import { loadHost } from "./hosts";
import { signatureProblem, tenantPolicy } from "./policies";

/** What building a manifest needs besides the transaction: the keys its tenant's policy checks signatures with. */
export interface ManifestContext {
  signingKeys: readonly SigningKey[];
}

/**
 * Regenerates a tenant's manifest inside the transaction that changed it, and has the
 * transaction publish it as a read model once it commits, so a write that returned success is
 * in the next read and reads never recompute it. The manifest row is locked first: concurrent
 * writers for one tenant regenerate one after the other, and each reads what the previous one
 * committed.
 */
export async function refreshTenantManifest(tx: Transaction, ctx: ManifestContext, tenantId: string): Promise<void> {
  recordChange(tx, "tenant-manifests", tenantId);
  await tx
    .insert(tenantManifests)
    .values({ tenantId, document: emptyManifest(tenantId), etag: "" })
    .onConflictDoUpdate({ target: tenantManifests.tenantId, set: { tenantId: sql`excluded.tenant_id` } });
  const document = await buildManifest(tx, ctx, tenantId);
  await tx
    .update(tenantManifests)
    .set({ document, etag: await etagOf(document), generatedAt: sql`now()` })
    .where(eq(tenantManifests.tenantId, tenantId));
}

/** Regenerates the manifests of `tenantIds`, in tenant order: two transactions refreshing overlapping sets cannot deadlock. */
export async function refreshTenantManifests(
  tx: Transaction,
  ctx: ManifestContext,
  tenantIds: Iterable<string>,
): Promise<void> {
  for (const tenantId of [...new Set(tenantIds)].sort()) await refreshTenantManifest(tx, ctx, tenantId);
}

/** The tenants with a live instance of `pluginId` at `version`. */
export async function tenantsRunning(tx: Transaction, pluginId: string, version: string): Promise<string[]> {
  const rows = await tx
    .selectDistinct({ tenantId: installations.tenantId })
    .from(installations)
    .where(and(eq(installations.pluginId, pluginId), eq(installations.version, version), liveInstallation));
  return rows.map((row) => row.tenantId);
}

/** The stored manifests of `tenantIds` with their ETags, in one statement; a tenant that never installed anything has none. */
export async function storedManifests(db: Database, tenantIds: readonly string[]) {
  const rows = await db
    .select({ tenantId: tenantManifests.tenantId, document: tenantManifests.document, etag: tenantManifests.etag })
    .from(tenantManifests)
    .where(inArray(tenantManifests.tenantId, [...tenantIds]));
  return new Map(rows.map(({ tenantId, ...manifest }) => [tenantId, manifest]));
}

/** The manifest of a tenant that never installed anything, with its ETag. */
export async function emptyManifestOf(tenantId: string) {
  const document = emptyManifest(tenantId);
  return { document, etag: await etagOf(document) };
}

/** The manifest with its stored bundle paths made absolute under `origin`, as a page needs them. */
export function publishedUnder(document: TenantManifest, origin: string): TenantManifest {
  const absolute = (path: string) => `${origin}${path}`;
  return {
    ...document,
    plugins: document.plugins.map((plugin) => ({ ...plugin, url: absolute(plugin.url) })),
    importMap: {
      imports: Object.fromEntries(
        Object.entries(document.importMap.imports).map(([specifier, path]) => [specifier, absolute(path)]),
      ),
      integrity: Object.fromEntries(
        Object.entries(document.importMap.integrity).map(([path, integrity]) => [absolute(path), integrity]),
      ),
    },
  };
}

function emptyManifest(tenantId: string): TenantManifest {
  return { tenantId, host: null, plugins: [], withheld: [], importMap: { imports: {}, integrity: {} } };
}

async function buildManifest(tx: Transaction, ctx: ManifestContext, tenantId: string): Promise<TenantManifest> {
  const host = await loadHost(tx, tenantId);
  const policy = await tenantPolicy(tx, tenantId);
  const active = await tx
    .select({ instance: installations, version: pluginVersions })
    .from(installations)
    .innerJoin(
      pluginVersions,
      and(eq(pluginVersions.pluginId, installations.pluginId), eq(pluginVersions.version, installations.version)),
    )
    .where(and(eq(installations.tenantId, tenantId), eq(installations.status, "active")))
    .orderBy(asc(installations.instanceId));
  const withheld: TenantManifest["withheld"] = [];
  const served: typeof active = [];
  for (const entry of active) {
    const { instance, version } = entry;
    const facts = { instanceId: instance.instanceId, pluginId: instance.pluginId, version: instance.version };
    if (version.status === "blocked") {
      withheld.push({ ...facts, reason: "this version was blocked by the registry" });
      continue;
    }
    // A tenant that requires signatures is never served a version that fails them, however it got there.
    const problem = policy.requireSignatures ? await signatureProblem(tx, ctx.signingKeys, version) : null;
    if (problem) withheld.push({ ...facts, reason: `the tenant requires signed plugins: ${problem.message}` });
    else served.push(entry);
  }
  const modules = await moduleFiles(
    tx,
    served.map(({ version }) => version),
  );

  const plugins: ManifestPlugin[] = served.map(({ instance, version }) => ({
    instanceId: instance.instanceId,
    pluginId: instance.pluginId,
    version: instance.version,
    url: bundleUrlPath(instance.pluginId, instance.version, version.entry),
    integrity: version.integrity,
    extensionPoints: extensionPointNames(version.manifest),
    config: instance.config,
    deprecated: version.deprecationMessage
      ? { message: version.deprecationMessage, replacement: version.deprecationReplacement }
      : null,
    signature: version.signature,
  }));
  const imports: Record<string, string> = {};
  const integrity: Record<string, string> = {};
  for (const plugin of plugins) {
    const specifier = importSpecifier(plugin.instanceId);
    imports[specifier] = plugin.url;
    // The version's folder, so `@plugins/<instance>/chunk.js` reaches its other files.
    imports[`${specifier}/`] = bundleUrlPath(plugin.pluginId, plugin.version, "");
  }
  // Every module of every served version, so code-split chunks are verified like the entry.
  for (const file of modules) {
    integrity[bundleUrlPath(file.pluginId, file.version, file.path)] = file.integrity;
  }
  return {
    tenantId,
    host: host && {
      version: host.version,
      extensionPoints: host.extensionPoints.map(({ name, contractVersion }) => ({ name, contractVersion })),
    },
    plugins,
    withheld,
    importMap: { imports, integrity },
  };
}

/** The JavaScript files of the given versions, with their SRI hashes. */
async function moduleFiles(tx: Transaction, versions: ReadonlyArray<{ pluginId: string; version: string }>) {
  if (versions.length === 0) return [];
  return tx
    .select({
      pluginId: versionFiles.pluginId,
      version: versionFiles.version,
      path: versionFiles.path,
      integrity: versionFiles.integrity,
    })
    .from(versionFiles)
    .where(
      and(
        or(...versions.map((v) => and(eq(versionFiles.pluginId, v.pluginId), eq(versionFiles.version, v.version)))),
        like(versionFiles.contentType, "text/javascript%"),
      ),
    )
    .orderBy(asc(versionFiles.pluginId), asc(versionFiles.version), asc(versionFiles.path));
}

/** A strong ETag over the manifest's content: the same content always has the same tag. */
function etagOf(document: TenantManifest): Promise<string> {
  return strongEtag(JSON.stringify(document));
}

/**
 * The ETag of the manifest as served under `origin`: the stored one holds paths, and the
 * body a client gets holds URLs, so a change of public origin must change the tag too.
 */
export function servedEtag(storedEtag: string, origin: string): Promise<string> {
  return strongEtag(`${MANIFEST_FORMAT} ${storedEtag} ${origin}`);
}

/**
 * Bumped whenever the served shape changes (what `publishedUnder` does to the stored copy):
 * stored manifests are only rebuilt on writes, and a client must not keep a 304 for the old shape.
 */
const MANIFEST_FORMAT = 2;
