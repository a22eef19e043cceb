import { describe, expect, it } from "vitest";
import { RegistryError } from "../lib/errors";
import { chooseVersion, type Resolvable } from "./resolve";

const plugin: Resolvable = {
  distTags: { latest: "1.2.0", beta: "2.0.0-beta.1", old: "1.1.0" },
  versions: [
    { version: "1.0.0", status: "published" },
    { version: "1.1.0", status: "yanked" },
    { version: "1.2.0", status: "published" },
    { version: "1.3.0", status: "blocked" },
    { version: "2.0.0-beta.1", status: "published" },
  ],
};

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof RegistryError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("chooseVersion", () => {
  it("follows a tag to a published version", () => {
    expect(chooseVersion("p", "latest", plugin)).toBe("1.2.0");
    expect(chooseVersion("p", "beta", plugin)).toBe("2.0.0-beta.1");
  });

  it("answers a tag that is missing, or names a yanked version, NOT_FOUND", () => {
    expect(refusal(() => chooseVersion("p", "nightly", plugin))).toEqual({
      code: "NOT_FOUND",
      message: "'p' has no tag 'nightly'",
    });
    expect(refusal(() => chooseVersion("p", "old", plugin)).code).toBe("NOT_FOUND");
  });

  it("picks the highest published version a range admits, never a yanked or blocked one", () => {
    expect(chooseVersion("p", "^1.0.0", plugin)).toBe("1.2.0");
    expect(chooseVersion("p", ">=1.0.0 <1.2.0", plugin)).toBe("1.0.0");
  });

  it("answers an exact yanked version for reads, and refuses it with CONFLICT for installs", () => {
    expect(chooseVersion("p", "1.1.0", plugin)).toBe("1.1.0");
    expect(refusal(() => chooseVersion("p", "1.1.0", plugin, { refuseYanked: true })).code).toBe("CONFLICT");
    // A range that only a yanked version satisfies names it in the refusal.
    expect(refusal(() => chooseVersion("p", "~1.1.0", plugin, { refuseYanked: true })).message).toMatch(
      /p@1\.1\.0 is yanked/,
    );
  });

  it("answers a blocked exact version GONE", () => {
    expect(refusal(() => chooseVersion("p", "1.3.0", plugin))).toEqual({
      code: "GONE",
      message: "p@1.3.0 was blocked and is not available",
    });
  });

  it("tells an unknown plugin from a reference nothing matches", () => {
    expect(refusal(() => chooseVersion("ghost", "latest", { distTags: {}, versions: [] })).message).toBe(
      "Plugin 'ghost' does not exist",
    );
    expect(refusal(() => chooseVersion("p", "^9.0.0", plugin)).message).toBe("No version of 'p' matches '^9.0.0'");
  });
});
