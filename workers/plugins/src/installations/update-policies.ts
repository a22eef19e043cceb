import type { HeldUpdate, UpdatePolicy } from "@plugins/schema";
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

/**
 * An instance's hold once `version` was refused for `reasons` at `now`, given its hold
 * `current`: `current` itself when it already says exactly that, so a pass that finds nothing
 * new writes nothing. The same version held again keeps the time it was first held, with the
 * latest reasons; another version replaces the hold.
 */
export function nextHold(
  current: HeldUpdate | null,
  version: string,
  reasons: readonly string[],
  now: Date,
): HeldUpdate {
  if (current?.version !== version) return { version, reasons: [...reasons], heldAt: now.toISOString() };
  const same = current.reasons.length === reasons.length && current.reasons.every((r, i) => r === reasons[i]);
  return same ? current : { ...current, reasons: [...reasons] };
}
