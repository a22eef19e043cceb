import { strongEtag } from "@plugins/runtime";
import { bundleUrlPath, LATEST_TAG, type VersionSignature, type VersionStatus } from "@plugins/schema";
import { distTags, type PluginVersion, plugins, pluginVersions, versionFiles } from "@plugins/schema/tables";
import { asc, inArray } from "drizzle-orm";
import type { Database } from "../lib/database";
import { versionColumnsWithoutReadme } from "./listing";

/** One file of a version, as a browser or a mirror verifies it. */
export interface DocumentFile {
  path: string;
  size: number;
  contentType: string;
  /** Subresource Integrity, `sha384-<base64>`. */
  integrity: string;
}

/** A version in the package document. A blocked version keeps only its status: its files are gone. */
export type DocumentVersion =
  | { status: "blocked"; publishedAt: string }
  | {
      status: Exclude<VersionStatus, "blocked">;
      publishedAt: string;
      deprecated: { message: string; replacement: string | null } | null;
      engines: { host: string } | null;
      entry: string;
      /** The entry file's URL path under the public origin, immutable. */
      bundlePath: string;
      integrity: string;
      fileCount: number;
      size: number;
      files: DocumentFile[];
      /** The registry's signature (signatures.ts): verify it with `verifyVersionSignature` and GET /api/keys. */
      signature: VersionSignature | null;
    };

/**
 * Everything a registry client needs to know about a plugin in one document, like npm's
 * packument: dist-tags, and every version with its status, deprecation, engines, entry,
 * integrity and files. Paths, not URLs, so the document (and its ETag) does not depend on the
 * origin it is served under.
 */
export interface PackageDocument {
  id: string;
  name: string;
  description: string;
  category: string;
  extensionPoints: string[];
  license: string | null;
  distTags: Record<string, string>;
  /** By version, in the order they were published. */
  versions: Record<string, DocumentVersion>;
  /** When the plugin's first version was published. */
  created: string;
}

/**
 * Bumped whenever the document's shape changes, so a client holding a 304 for the old shape
 * gets the new one.
 */
const DOCUMENT_FORMAT = 2;

/**
 * The package documents of `pluginIds` as Postgres holds them now, in four statements however
 * many plugins; an unknown plugin is left out. One after the other, not in parallel: on a
 * per-request Pool each parallel query opens a connection (a WebSocket and a Postgres session)
 * of its own, which costs more than the queries.
 */
export async function buildPackageDocuments(
  db: Database,
  pluginIds: readonly string[],
): Promise<Map<string, PackageDocument>> {
  const ids = [...pluginIds];
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({
      id: plugins.id,
      name: plugins.name,
      description: plugins.description,
      category: plugins.category,
      extensionPoints: plugins.extensionPoints,
      createdAt: plugins.createdAt,
    })
    .from(plugins)
    .where(inArray(plugins.id, ids));
  if (rows.length === 0) return new Map();
  const versions = groupBy(
    await db
      .select(versionColumnsWithoutReadme)
      .from(pluginVersions)
      .where(inArray(pluginVersions.pluginId, ids))
      .orderBy(asc(pluginVersions.publishedAt), asc(pluginVersions.version)),
  );
  const tags = groupBy(
    await db
      .select({ pluginId: distTags.pluginId, tag: distTags.tag, version: distTags.version })
      .from(distTags)
      .where(inArray(distTags.pluginId, ids))
      .orderBy(asc(distTags.tag)),
  );
  const files = groupBy(
    await db
      .select({
        pluginId: versionFiles.pluginId,
        version: versionFiles.version,
        path: versionFiles.path,
        size: versionFiles.size,
        contentType: versionFiles.contentType,
        integrity: versionFiles.integrity,
      })
      .from(versionFiles)
      .where(inArray(versionFiles.pluginId, ids))
      .orderBy(asc(versionFiles.version), asc(versionFiles.path)),
  );
  return new Map(
    rows.map((plugin) => [
      plugin.id,
      packageDocument(plugin, versions.get(plugin.id) ?? [], tags.get(plugin.id) ?? [], files.get(plugin.id) ?? []),
    ]),
  );
}

function groupBy<Row extends { pluginId: string }>(rows: readonly Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const group = groups.get(row.pluginId);
    if (group) group.push(row);
    else groups.set(row.pluginId, [row]);
  }
  return groups;
}

function packageDocument(
  plugin: {
    id: string;
    name: string;
    description: string;
    category: string;
    extensionPoints: string[];
    createdAt: Date;
  },
  versions: readonly Omit<PluginVersion, "readme">[],
  tags: readonly { tag: string; version: string }[],
  files: readonly ({ version: string } & DocumentFile)[],
): PackageDocument {
  const filesOf = new Map<string, DocumentFile[]>();
  for (const { version, path, size, contentType, integrity } of files) {
    const file = { path, size, contentType, integrity };
    const list = filesOf.get(version);
    if (list) list.push(file);
    else filesOf.set(version, [file]);
  }
  const latest = tags.find((row) => row.tag === LATEST_TAG)?.version;
  // Like npm's: the license a client shows is the one of the version it would install.
  const licensed = versions.find((version) => version.version === latest) ?? versions.at(-1);
  return {
    id: plugin.id,
    name: plugin.name,
    description: plugin.description,
    category: plugin.category,
    extensionPoints: plugin.extensionPoints,
    license: licensed?.manifest.license ?? null,
    distTags: Object.fromEntries(tags.map((row) => [row.tag, row.version])),
    versions: Object.fromEntries(
      versions.map((version): [string, DocumentVersion] => {
        const publishedAt = version.publishedAt.toISOString();
        if (version.status === "blocked") return [version.version, { status: "blocked", publishedAt }];
        return [
          version.version,
          {
            status: version.status,
            publishedAt,
            deprecated: version.deprecationMessage
              ? { message: version.deprecationMessage, replacement: version.deprecationReplacement }
              : null,
            engines: version.manifest.engines ?? null,
            entry: version.entry,
            bundlePath: bundleUrlPath(version.pluginId, version.version, version.entry),
            integrity: version.integrity,
            fileCount: version.fileCount,
            size: version.size,
            files: filesOf.get(version.version) ?? [],
            signature: version.signature,
          },
        ];
      }),
    ),
    created: plugin.createdAt.toISOString(),
  };
}

export function documentEtag(document: PackageDocument): Promise<string> {
  return strongEtag(`${DOCUMENT_FORMAT} ${JSON.stringify(document)}`);
}
