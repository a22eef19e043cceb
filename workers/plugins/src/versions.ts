import semver from "semver";

/**
 * Whether `candidate` should replace `current` as the `latest` version: the highest
 * stable version wins; a prerelease is latest only while no stable version exists.
 */
export function supersedesLatest(candidate: string, current: string | null): boolean {
  if (current === null) return true;
  const candidateIsStable = semver.prerelease(candidate) === null;
  const currentIsStable = semver.prerelease(current) === null;
  if (candidateIsStable !== currentIsStable) return candidateIsStable;
  return semver.gt(candidate, current);
}

/** The version a reference points to among `available` ones, or null. */
export function resolveReference(
  reference: string,
  latest: string | null,
  available: readonly string[],
): string | null {
  if (reference === "latest") return latest;
  return semver.maxSatisfying([...available], reference);
}
