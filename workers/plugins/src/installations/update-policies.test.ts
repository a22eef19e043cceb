import type { UpdatePolicy } from "@plugins/schema";
import { describe, expect, it } from "vitest";
import type { VersionCandidate } from "../versions/ranges";
import { followTarget, nextHold } from "./update-policies";

const published = (...versions: string[]): VersionCandidate[] =>
  versions.map((version) => ({ version, status: "published" }));

/** A plugin's history, out of order as rows come back from the database. */
const history = published("1.0.1", "1.0.0", "2.0.0", "1.1.0", "1.0.10", "1.2.3", "2.1.0-beta.1", "1.0.2");

describe("followTarget", () => {
  describe("pinned", () => {
    it("never moves, whatever is newer or tagged", () => {
      expect(followTarget("pinned", "1.0.0", history, "2.0.0")).toBeNull();
      expect(followTarget("pinned", "1.0.0", history, null)).toBeNull();
    });
  });

  describe("patch (~current)", () => {
    it("moves to the highest patch of its minor, by semver not text (1.0.10 over 1.0.2)", () => {
      expect(followTarget("patch", "1.0.0", history, "2.0.0")).toBe("1.0.10");
    });

    it("does not cross into the next minor or major", () => {
      expect(followTarget("patch", "1.1.0", history, "2.0.0")).toBeNull();
      expect(followTarget("patch", "1.2.3", history, "2.0.0")).toBeNull();
    });

    it("ignores the latest tag", () => {
      expect(followTarget("patch", "1.0.0", published("1.0.0", "1.0.1"), null)).toBe("1.0.1");
      expect(followTarget("patch", "1.0.0", published("1.0.0", "1.1.0"), "1.1.0")).toBeNull();
    });
  });

  describe("minor (^current)", () => {
    it("moves to the highest version of its major", () => {
      expect(followTarget("minor", "1.0.0", history, "2.0.0")).toBe("1.2.3");
    });

    it("does not cross into the next major", () => {
      expect(followTarget("minor", "1.0.0", published("1.0.0", "2.0.0"), "2.0.0")).toBeNull();
    });

    it("follows only patches on 0.x, as npm reads ^0.y.z", () => {
      const zero = published("0.1.0", "0.1.1", "0.1.5", "0.2.0", "0.2.1", "1.0.0");
      expect(followTarget("minor", "0.1.0", zero, "1.0.0")).toBe("0.1.5");
      expect(followTarget("minor", "0.2.0", zero, "1.0.0")).toBe("0.2.1");
      expect(followTarget("minor", "0.2.1", zero, "1.0.0")).toBeNull();
    });

    it("does not move at all on 0.0.x, where ^0.0.z admits only itself", () => {
      expect(followTarget("minor", "0.0.1", published("0.0.1", "0.0.2", "0.1.0"), "0.1.0")).toBeNull();
    });
  });

  describe("latest (the latest tag)", () => {
    it("moves to whatever the latest tag names, across majors", () => {
      expect(followTarget("latest", "1.0.0", history, "2.0.0")).toBe("2.0.0");
    });

    it("stays when the plugin has no latest tag", () => {
      expect(followTarget("latest", "1.0.0", history, null)).toBeNull();
    });

    it("never moves backwards when latest was set below the current version", () => {
      expect(followTarget("latest", "2.0.0", history, "1.2.3")).toBeNull();
    });

    it("stays when latest already names the current version", () => {
      expect(followTarget("latest", "2.0.0", history, "2.0.0")).toBeNull();
    });

    it("follows a tag that names a published version, even a prerelease", () => {
      expect(followTarget("latest", "2.0.0", history, "2.1.0-beta.1")).toBe("2.1.0-beta.1");
    });

    it("stays when the tag names a version that is not published (or does not exist)", () => {
      const candidates: VersionCandidate[] = [
        { version: "1.0.0", status: "published" },
        { version: "1.1.0", status: "yanked" },
        { version: "1.2.0", status: "blocked" },
      ];
      expect(followTarget("latest", "1.0.0", candidates, "1.1.0")).toBeNull();
      expect(followTarget("latest", "1.0.0", candidates, "1.2.0")).toBeNull();
      expect(followTarget("latest", "1.0.0", candidates, "9.9.9")).toBeNull();
    });
  });

  describe("prereleases", () => {
    const withBeta = published("1.0.0", "1.0.1-beta.1", "1.1.0-beta.1", "2.0.0-rc.1");

    it.each<UpdatePolicy>(["patch", "minor"])("a stable instance on %s never moves to a prerelease", (policy) => {
      expect(followTarget(policy, "1.0.0", withBeta, "1.0.0")).toBeNull();
    });

    it("a stable instance on latest stays while latest is stable", () => {
      expect(followTarget("latest", "1.0.0", withBeta, "1.0.0")).toBeNull();
    });

    it("an instance on a prerelease follows later prereleases and the release of its own version", () => {
      const candidates = published("2.0.0-beta.1", "2.0.0-beta.2", "2.0.0", "2.0.1", "2.1.0-beta.1", "2.1.0");
      expect(followTarget("patch", "2.0.0-beta.1", candidates, "2.1.0")).toBe("2.0.1");
      expect(followTarget("minor", "2.0.0-beta.1", candidates, "2.1.0")).toBe("2.1.0");
      expect(
        followTarget("patch", "2.0.0-beta.1", published("2.0.0-beta.1", "2.0.0-beta.2", "2.1.0-beta.1"), null),
      ).toBe("2.0.0-beta.2");
    });
  });

  describe("yanked and blocked versions", () => {
    const candidates: VersionCandidate[] = [
      { version: "1.0.0", status: "published" },
      { version: "1.0.1", status: "published" },
      { version: "1.0.2", status: "yanked" },
      { version: "1.0.3", status: "blocked" },
      { version: "1.1.0", status: "published" },
      { version: "1.2.0", status: "yanked" },
      { version: "1.3.0", status: "blocked" },
    ];

    it("are never the target of patch or minor, which settle on the highest published one", () => {
      expect(followTarget("patch", "1.0.0", candidates, "1.1.0")).toBe("1.0.1");
      expect(followTarget("minor", "1.0.0", candidates, "1.1.0")).toBe("1.1.0");
    });

    it("leave an instance where it is when nothing else qualifies", () => {
      const onlyYanked: VersionCandidate[] = [
        { version: "1.0.0", status: "published" },
        { version: "1.0.1", status: "yanked" },
      ];
      expect(followTarget("patch", "1.0.0", onlyYanked, "1.0.0")).toBeNull();
      expect(followTarget("minor", "1.0.0", onlyYanked, "1.0.0")).toBeNull();
      expect(followTarget("latest", "1.0.0", onlyYanked, "1.0.1")).toBeNull();
    });

    it("do not stop an instance that itself runs a yanked version from following", () => {
      const fromYanked: VersionCandidate[] = [
        { version: "1.0.0", status: "yanked" },
        { version: "1.0.1", status: "published" },
      ];
      expect(followTarget("patch", "1.0.0", fromYanked, "1.0.1")).toBe("1.0.1");
    });
  });

  describe("never backwards", () => {
    it.each<UpdatePolicy>(["patch", "minor", "latest"])(
      "%s stays on a version higher than every other candidate",
      (policy) => {
        // The instance runs 1.5.0, which is not even among the candidates any more.
        expect(followTarget(policy, "1.5.0", published("1.0.0", "1.4.9"), "1.4.9")).toBeNull();
      },
    );

    it.each<UpdatePolicy>(["patch", "minor", "latest"])("%s stays when it already runs the best match", (policy) => {
      expect(followTarget(policy, "1.0.1", published("1.0.0", "1.0.1"), "1.0.1")).toBeNull();
    });
  });
});

describe("nextHold", () => {
  const first = new Date("2026-01-01T00:00:00.000Z");
  const later = new Date("2026-02-01T00:00:00.000Z");

  it("holds a version, with its reasons and when, where nothing was held", () => {
    expect(nextHold(null, "2.0.0", ["config.url: is required"], first)).toEqual({
      version: "2.0.0",
      reasons: ["config.url: is required"],
      heldAt: "2026-01-01T00:00:00.000Z",
    });
  });

  it("answers the hold itself when the same version is held for the same reasons, so nothing is written", () => {
    const held = nextHold(null, "2.0.0", ["a", "b"], first);
    expect(nextHold(held, "2.0.0", ["a", "b"], later)).toBe(held);
  });

  it("keeps when the same version was first held, with the latest reasons", () => {
    const held = nextHold(null, "2.0.0", ["a"], first);
    expect(nextHold(held, "2.0.0", ["b"], later)).toEqual({
      version: "2.0.0",
      reasons: ["b"],
      heldAt: first.toISOString(),
    });
  });

  it("replaces the hold of an older version by the newer one, from now", () => {
    const held = nextHold(null, "2.0.0", ["a"], first);
    expect(nextHold(held, "2.1.0", ["a"], later)).toEqual({
      version: "2.1.0",
      reasons: ["a"],
      heldAt: later.toISOString(),
    });
  });
});
