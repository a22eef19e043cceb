import { bundleUrlPath, type PluginManifest, repositoryUrl } from "@plugins/schema";
import { pluginVersions } from "@plugins/schema/tables";
import { getTableColumns } from "drizzle-orm";

/** What a marketplace shows of one version: its listing fields, links as URLs, the icon as its bundle URL path. */
export interface VersionListing {
  /** Null when the manifest has none: show `name`. */
  displayName: string | null;
  /** Markdown, from the readme file or given inline; untrusted: sanitize before rendering. */
  readme: string | null;
  iconUrl: string | null;
  homepage: string | null;
  /** The repository's URL, from either form the manifest allows. */
  repository: string | null;
  bugs: string | null;
  keywords: string[];
}

export function versionListing(version: {
  pluginId: string;
  version: string;
  manifest: PluginManifest;
  readme: string | null;
}): VersionListing {
  const { manifest } = version;
  return {
    displayName: manifest.displayName ?? null,
    readme: version.readme,
    iconUrl: manifest.icon === undefined ? null : bundleUrlPath(version.pluginId, version.version, manifest.icon),
    homepage: manifest.homepage ?? null,
    repository: repositoryUrl(manifest.repository),
    bugs: manifest.bugs ?? null,
    keywords: manifest.keywords ?? [],
  };
}

/** A plugin without a version to show (none is `latest`) has an empty listing. */
export const EMPTY_LISTING: VersionListing = {
  displayName: null,
  readme: null,
  iconUrl: null,
  homepage: null,
  repository: null,
  bugs: null,
  keywords: [],
};

const { readme: _readme, ...columnsButReadme } = getTableColumns(pluginVersions);

/**
 * Every column of a version but its readme (up to 256 KiB each): for queries over many versions,
 * which show one readme at most.
 */
export const versionColumnsWithoutReadme = columnsButReadme;
