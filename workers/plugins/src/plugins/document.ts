import { strongEtag } from "@plugins/runtime";
import { bundleUrlPath, LATEST_TAG, type VersionStatus } from "@plugins/schema";
import { distTags, plugins, pluginVersions, versionFiles } from "@plugins/schema/tables";
import { asc, eq } from "drizzle-orm";
import type { Database } from "../lib/database";

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
const DOCUMENT_FORMAT = 1;

/** The package document of `pluginId` as Postgres holds it now, or null for an unknown plugin. */
export async function buildPackageDocument(db: Database, pluginId: string): Promise<PackageDocument | null> {
  const [plugin] = await db
    .select({
      id: plugins.id,
      name: plugins.name,
      description: plugins.description,
      category: plugins.category,
      extensionPoints: plugins.extensionPoints,
      createdAt: plugins.createdAt,
    })
    .from(plugins)
    .where(eq(plugins.id, pluginId));
  if (!plugin) return null;
  // One after the other, not in parallel: on a per-request Pool each parallel query opens a
  // connection (a WebSocket and a Postgres session) of its own, which costs more than the queries.
  const versions = await db
    .select()
    .from(pluginVersions)
    .where(eq(pluginVersions.pluginId, pluginId))
    .orderBy(asc(pluginVersions.publishedAt), asc(pluginVersions.version));
  const tags = await db
    .select({ tag: distTags.tag, version: distTags.version })
    .from(distTags)
    .where(eq(distTags.pluginId, pluginId))
    .orderBy(asc(distTags.tag));
  const files = await db
    .select({
      version: versionFiles.version,
      path: versionFiles.path,
      size: versionFiles.size,
      contentType: versionFiles.contentType,
      integrity: versionFiles.integrity,
    })
    .from(versionFiles)
    .where(eq(versionFiles.pluginId, pluginId))
    .orderBy(asc(versionFiles.version), asc(versionFiles.path));
  const filesOf = new Map<string, DocumentFile[]>();
  for (const { version, ...file } of files) {
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
