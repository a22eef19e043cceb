import type { VersionStatus } from "@plugins/schema";
import semver from "semver";

export interface VersionCandidate {
  version: string;
  status: VersionStatus;
}

/**
 * The version `latest` should follow: the highest published stable version, or the
 * highest published prerelease while no stable version exists.
 */
export function highestForLatest(candidates: readonly VersionCandidate[]): string | null {
  const published = candidates.filter((candidate) => candidate.status === "published").map((c) => c.version);
  const stable = published.filter((version) => semver.prerelease(version) === null);
  const pool = stable.length > 0 ? stable : published;
  return pool.length > 0 ? (semver.rsort([...pool])[0] ?? null) : null;
}

export type Resolution = { kind: "found"; version: string } | { kind: "blocked"; version: string } | { kind: "none" };

/**
 * What an exact version or a semver range resolves to. An exact version is answered even
 * when yanked, so that pinned users keep working; a range never picks a yanked version.
 * A blocked version is reported as such, never returned.
 */
export function resolveRange(reference: string, candidates: readonly VersionCandidate[]): Resolution {
  const exact = semver.valid(reference);
  if (exact) {
    const match = candidates.find((candidate) => candidate.version === exact);
    if (!match) return { kind: "none" };
    return match.status === "blocked" ? { kind: "blocked", version: exact } : { kind: "found", version: exact };
  }
  const published = candidates.filter((candidate) => candidate.status === "published").map((c) => c.version);
  const best = semver.maxSatisfying(published, reference);
  return best ? { kind: "found", version: best } : { kind: "none" };
}
