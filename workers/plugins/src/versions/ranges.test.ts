import { describe, expect, it } from "vitest";
import { highestForLatest, resolveRange, type VersionCandidate } from "./ranges";

const published = (...versions: string[]): VersionCandidate[] =>
  versions.map((version) => ({ version, status: "published" }));

describe("highestForLatest", () => {
  it("picks the highest stable version by semver, not by text", () => {
    expect(highestForLatest(published("1.2.0", "1.10.0", "1.9.3"))).toBe("1.10.0");
  });

  it("prefers a lower stable version over a higher prerelease", () => {
    expect(highestForLatest(published("1.0.0", "2.0.0-beta.1"))).toBe("1.0.0");
  });

  it("falls back to the highest prerelease while no stable version exists", () => {
    expect(highestForLatest(published("0.1.0-alpha.1", "0.1.0-beta.2"))).toBe("0.1.0-beta.2");
  });

  it("skips yanked and blocked versions", () => {
    expect(
      highestForLatest([
        { version: "1.0.0", status: "published" },
        { version: "1.1.0", status: "yanked" },
        { version: "1.2.0", status: "blocked" },
      ]),
    ).toBe("1.0.0");
  });

  it("is null when nothing is published", () => {
    expect(highestForLatest([{ version: "1.0.0", status: "yanked" }])).toBeNull();
  });
});

describe("resolveRange", () => {
  const candidates: VersionCandidate[] = [
    { version: "1.0.0", status: "published" },
    { version: "1.4.0", status: "yanked" },
    { version: "1.3.0", status: "published" },
    { version: "2.0.0", status: "blocked" },
    { version: "2.1.0-beta.1", status: "published" },
  ];

  it.each([
    ["^1.0.0", "1.3.0"],
    ["1.x", "1.3.0"],
    ["~1.0.0", "1.0.0"],
    [">=1.0.0", "1.3.0"],
    ["^2.1.0-beta.0", "2.1.0-beta.1"],
  ])("resolves %s to %s, skipping yanked versions and prereleases the range does not name", (range, expected) => {
    expect(resolveRange(range, candidates)).toEqual({ kind: "found", version: expected });
  });

  it("answers an exact yanked version so pinned users keep working", () => {
    expect(resolveRange("1.4.0", candidates)).toEqual({ kind: "found", version: "1.4.0" });
  });

  it("reports an exact blocked version as blocked", () => {
    expect(resolveRange("2.0.0", candidates)).toEqual({ kind: "blocked", version: "2.0.0" });
  });

  it("finds nothing for an unknown exact version or an unsatisfiable range", () => {
    expect(resolveRange("9.9.9", candidates)).toEqual({ kind: "none" });
    expect(resolveRange("^3.0.0", candidates)).toEqual({ kind: "none" });
  });
});
