import type { InstallationStatus } from "@plugins/schema";
import { describe, expect, it } from "vitest";
import { type LifecycleAction, transition } from "./lifecycle";

const STATES: InstallationStatus[] = ["installed", "active", "inactive", "uninstalled"];
const ACTIONS: LifecycleAction[] = ["activate", "deactivate", "uninstall"];

/** installed → active ⇄ inactive → uninstalled, and installed → uninstalled: nothing else. */
const ALLOWED: Record<LifecycleAction, Partial<Record<InstallationStatus, InstallationStatus>>> = {
  activate: { installed: "active", inactive: "active" },
  deactivate: { active: "inactive" },
  uninstall: { installed: "uninstalled", inactive: "uninstalled" },
};

describe("transition", () => {
  const cases = ACTIONS.flatMap((action) => STATES.map((from) => [action, from] as const));

  it.each(cases)("%s from %s follows the state machine", (action, from) => {
    const to = ALLOWED[action][from];
    const result = transition(action, from, "dropbox-main");
    if (to) {
      expect(result).toEqual({ ok: true, to });
    } else {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toContain("'dropbox-main'");
    }
  });

  it("allows exactly the five moves of the lifecycle", () => {
    const allowed = cases.filter(([action, from]) => transition(action, from, "x").ok);
    expect(allowed).toEqual([
      ["activate", "installed"],
      ["activate", "inactive"],
      ["deactivate", "active"],
      ["uninstall", "installed"],
      ["uninstall", "inactive"],
    ]);
  });

  it("never leads anywhere but active, inactive or uninstalled", () => {
    for (const [action, from] of cases) {
      const result = transition(action, from, "x");
      if (result.ok) expect(["active", "inactive", "uninstalled"]).toContain(result.to);
    }
  });

  it.each([
    ["activate", "active", "Instance 'dropbox-main' is already active"],
    ["deactivate", "inactive", "Instance 'dropbox-main' is already inactive"],
    ["deactivate", "installed", "Instance 'dropbox-main' was never activated, so it cannot be deactivated"],
    ["uninstall", "active", "Instance 'dropbox-main' is active; deactivate it before uninstalling"],
    ["activate", "uninstalled", "Instance 'dropbox-main' is uninstalled"],
    ["deactivate", "uninstalled", "Instance 'dropbox-main' is uninstalled"],
    ["uninstall", "uninstalled", "Instance 'dropbox-main' is uninstalled"],
  ] as const)("refuses %s from %s saying why", (action, from, reason) => {
    expect(transition(action, from, "dropbox-main")).toEqual({ ok: false, reason });
  });

  it("names the instance it was given in the refusal", () => {
    const result = transition("activate", "active", "dropbox-archive");
    expect(result).toEqual({ ok: false, reason: "Instance 'dropbox-archive' is already active" });
  });
});
