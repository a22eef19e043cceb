import { tagSchema } from "@plugins/schema";
import { distTags, type PluginVersion, pluginVersions } from "@plugins/schema/tables";
import { and, eq } from "drizzle-orm";
import semver from "semver";
import type { Database, Transaction } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { resolveRange, type VersionCandidate } from "./ranges";

export interface ResolveOptions {
  /** Inside a transaction: hold the chosen version until it commits. */
  lock?: boolean;
  /**
   * For a new install or a move of an instance: a yanked version is refused with CONFLICT
   * even when named exactly (`1.1.0`, `=1.1.0`), where a read (`resolve`) still answers it
   * so that whoever pinned it keeps loading it.
   */
  refuseYanked?: boolean;
}

/** What a reference is resolved against: a plugin's dist-tags and versions (from Postgres or its package document). */
export interface Resolvable {
  distTags: Readonly<Record<string, string>>;
  versions: readonly VersionCandidate[];
}

/**
 * The version of `pluginId` that `reference` names: a dist-tag, an exact version or a
 * semver range. Ranges and tags never pick a yanked version; a blocked one answers GONE.
 * A plugin without versions does not exist: its first publish creates it.
 */
export function chooseVersion(
  pluginId: string,
  reference: string,
  { distTags, versions }: Resolvable,
  options: Pick<ResolveOptions, "refuseYanked"> = {},
): string {
  if (versions.length === 0) throw new RegistryError("NOT_FOUND", `Plugin '${pluginId}' does not exist`);
  if (tagSchema.safeParse(reference).success) {
    const tagged = versions.find((candidate) => candidate.version === distTags[reference]);
    if (tagged?.status === "published") return tagged.version;
    throw new RegistryError("NOT_FOUND", `'${pluginId}' has no tag '${reference}'`);
  }
  const resolution = resolveRange(reference, versions);
  if (resolution.kind === "blocked") {
    throw new RegistryError("GONE", `${pluginId}@${resolution.version} was blocked and is not available`);
  }
  const match = resolution.kind === "found" ? resolution.version : null;
  if (options.refuseYanked) {
    const yanked = match
      ? versions.some((candidate) => candidate.version === match && candidate.status === "yanked")
        ? match
        : null
      : yankedMatch(reference, versions);
    if (yanked) throw yankedVersion(pluginId, yanked);
  }
  if (match) return match;
  throw new RegistryError("NOT_FOUND", `No version of '${pluginId}' matches '${reference}'`);
}

/** `chooseVersion` against Postgres, for writes: the version's row, held until the commit when `lock` is set. */
export async function resolveVersion(
  db: Database | Transaction,
  pluginId: string,
  reference: string,
  options: ResolveOptions = {},
): Promise<PluginVersion> {
  const versions = await db.select().from(pluginVersions).where(eq(pluginVersions.pluginId, pluginId));
  const tags = tagSchema.safeParse(reference).success
    ? await db
        .select({ tag: distTags.tag, version: distTags.version })
        .from(distTags)
        .where(and(eq(distTags.pluginId, pluginId), eq(distTags.tag, reference)))
    : [];
  const chosen = chooseVersion(
    pluginId,
    reference,
    { distTags: Object.fromEntries(tags.map((row) => [row.tag, row.version])), versions },
    options,
  );
  const match = versions.find((candidate) => candidate.version === chosen);
  if (!match) throw new Error(`the chosen version ${pluginId}@${chosen} is not among the candidates`);
  return options.lock ? hold(db, match, options) : match;
}

/**
 * The yanked version a reference would have named when nothing else matches it: an exact
 * version is found even when yanked, but `=1.1.0` or `^1.1.0` is a range, which skips it.
 */
function yankedMatch(reference: string, candidates: readonly VersionCandidate[]): string | null {
  const yanked = candidates.filter((candidate) => candidate.status === "yanked").map((candidate) => candidate.version);
  return semver.maxSatisfying(yanked, reference);
}

function yankedVersion(pluginId: string, version: string): RegistryError {
  return new RegistryError(
    "CONFLICT",
    `${pluginId}@${version} is yanked: instances already on it keep running, but nothing is installed or moved to it any more; choose another version`,
  );
}

/** Re-reads the chosen version FOR SHARE: a block (or a yank) waits for the caller's commit, or already won. */
async function hold(
  db: Database | Transaction,
  chosen: PluginVersion,
  options: ResolveOptions,
): Promise<PluginVersion> {
  const [held] = await db
    .select()
    .from(pluginVersions)
    .where(and(eq(pluginVersions.pluginId, chosen.pluginId), eq(pluginVersions.version, chosen.version)))
    .for("share");
  if (!held || held.status === "blocked")
    throw new RegistryError("GONE", `${chosen.pluginId}@${chosen.version} was blocked and is not available`);
  if (options.refuseYanked && held.status === "yanked") throw yankedVersion(held.pluginId, held.version);
  return held;
}
