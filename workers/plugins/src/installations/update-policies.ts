import type { UpdatePolicy } from "@plugins/schema";
import semver from "semver";
import type { VersionCandidate } from "../versions/ranges";

/**
 * The version an instance on `policy` moves to once newer versions exist, or null to stay:
 * `patch` follows `~current`, `minor` follows `^current` (so 0.x follows patches only, as
 * npm reads it), `latest` follows the `latest` tag. Never a yanked or blocked version,
 * never a prerelease the range would not pick, never backwards.
 */
export function followTarget(
  policy: UpdatePolicy,
  current: string,
  candidates: readonly VersionCandidate[],
  latestTag: string | null,
): string | null {
  const published = candidates.filter((candidate) => candidate.status === "published").map((c) => c.version);
  const target =
    policy === "patch"
      ? semver.maxSatisfying(published, `~${current}`)
      : policy === "minor"
        ? semver.maxSatisfying(published, `^${current}`)
        : policy === "latest" && latestTag && published.includes(latestTag)
          ? latestTag
          : null;
  return target && semver.gt(target, current) ? target : null;
}
