import { tagSchema } from "@plugins/schema";
import { distTags, type PluginVersion, plugins, pluginVersions } from "@plugins/schema/tables";
import { and, eq } from "drizzle-orm";
import semver from "semver";
import type { Database, Transaction } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { resolveRange } from "./ranges";

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

/**
 * The version of `pluginId` that `reference` names: a dist-tag, an exact version or a
 * semver range. Ranges and tags never pick a yanked version; a blocked one answers GONE.
 */
export async function resolveVersion(
  db: Database | Transaction,
  pluginId: string,
  reference: string,
  options: ResolveOptions = {},
): Promise<PluginVersion> {
  if (tagSchema.safeParse(reference).success) {
    const [tagged] = await db
      .select({ version: pluginVersions })
      .from(distTags)
      .innerJoin(
        pluginVersions,
        and(eq(pluginVersions.pluginId, distTags.pluginId), eq(pluginVersions.version, distTags.version)),
      )
      .where(and(eq(distTags.pluginId, pluginId), eq(distTags.tag, reference)));
    if (tagged?.version.status === "published")
      return options.lock ? hold(db, tagged.version, options) : tagged.version;
    throw await notFound(db, pluginId, `'${pluginId}' has no tag '${reference}'`);
  }

  const candidates = await db.select().from(pluginVersions).where(eq(pluginVersions.pluginId, pluginId));
  const resolution = resolveRange(reference, candidates);
  if (resolution.kind === "blocked") {
    throw new RegistryError("GONE", `${pluginId}@${resolution.version} was blocked and is not available`);
  }
  const match = resolution.kind === "found" && candidates.find((c) => c.version === resolution.version);
  if (options.refuseYanked) {
    const yanked = match ? (match.status === "yanked" ? match.version : null) : yankedMatch(reference, candidates);
    if (yanked) throw yankedVersion(pluginId, yanked);
  }
  if (match) return options.lock ? hold(db, match, options) : match;
  throw await notFound(db, pluginId, `No version of '${pluginId}' matches '${reference}'`);
}

/**
 * The yanked version a reference would have named when nothing else matches it: an exact
 * version is found even when yanked, but `=1.1.0` or `^1.1.0` is a range, which skips it.
 */
function yankedMatch(reference: string, candidates: readonly PluginVersion[]): string | null {
  const yanked = candidates.filter((candidate) => candidate.status === "yanked").map((candidate) => candidate.version);
  return semver.maxSatisfying(yanked, reference);
}

function yankedVersion(pluginId: string, version: string): RegistryError {
  return new RegistryError(
    "CONFLICT",
    `${pluginId}@${version} is yanked: instances already on it keep running, but nothing is installed or moved to it any more; choose another version`,
  );
}

async function notFound(db: Database | Transaction, pluginId: string, message: string): Promise<RegistryError> {
  const exists = await db.query.plugins.findFirst({ where: eq(plugins.id, pluginId), columns: { id: true } });
  return new RegistryError("NOT_FOUND", exists ? message : `Plugin '${pluginId}' does not exist`);
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
