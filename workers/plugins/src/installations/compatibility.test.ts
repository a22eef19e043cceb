import type { PluginManifest } from "@plugins/schema";
import { describe, expect, it } from "vitest";
import { type Host, hostProblems } from "./compatibility";

type Requirements = Pick<PluginManifest, "engines" | "extensionPoints">;

const host: Host = {
  tenantId: "acme",
  version: "2.1.0",
  extensionPoints: [
    { name: "payment-methods", contractVersion: "1.4.0" },
    { name: "checkout-steps", contractVersion: "3.0.0" },
  ],
};

describe("hostProblems", () => {
  it("checks nothing for a tenant that registered no host", () => {
    const demanding: Requirements = {
      engines: { host: "^9.0.0" },
      extensionPoints: ["nowhere", { name: "payment-methods", contract: "^7" }],
    };
    expect(hostProblems(demanding, null)).toEqual([]);
  });

  it("finds nothing wrong when the host version, every point and every contract fit", () => {
    expect(
      hostProblems(
        {
          engines: { host: "^2.0.0" },
          extensionPoints: ["checkout-steps", { name: "payment-methods", contract: "^1.2" }],
        },
        host,
      ),
    ).toEqual([]);
  });

  it("finds nothing wrong for a plugin without engines or extension points", () => {
    expect(hostProblems({ extensionPoints: [] }, host)).toEqual([]);
  });

  describe("engines.host", () => {
    it("names engines.host, the range and the host's version when the host is outside the range", () => {
      expect(hostProblems({ engines: { host: "^3.0.0" }, extensionPoints: [] }, host)).toEqual([
        "engines.host: needs host ^3.0.0, and tenant 'acme' runs 2.1.0",
      ]);
    });

    it("accepts a host inside the range", () => {
      expect(hostProblems({ engines: { host: ">=2.1.0 <2.2.0" }, extensionPoints: [] }, host)).toEqual([]);
    });

    it("counts a prerelease host version inside the range (includePrerelease)", () => {
      const beta: Host = { ...host, version: "2.5.0-beta.1" };
      expect(hostProblems({ engines: { host: "^2.0.0" }, extensionPoints: [] }, beta)).toEqual([]);
      expect(
        hostProblems({ engines: { host: ">=2.0.0" }, extensionPoints: [] }, { ...host, version: "3.0.0-rc.1" }),
      ).toEqual([]);
    });

    it("still refuses a prerelease of the next major for a caret range", () => {
      const next: Host = { ...host, version: "3.0.0-rc.1" };
      expect(hostProblems({ engines: { host: "^2.0.0" }, extensionPoints: [] }, next)).toEqual([
        "engines.host: needs host ^2.0.0, and tenant 'acme' runs 3.0.0-rc.1",
      ]);
    });
  });

  describe("extension points", () => {
    it("names each point the host lacks, given by name or with a contract", () => {
      expect(
        hostProblems({ extensionPoints: ["shipping-rates", { name: "tax-rules", contract: "^1" }] }, host),
      ).toEqual([
        "extensionPoints: the host of tenant 'acme' has no extension point 'shipping-rates'",
        "extensionPoints: the host of tenant 'acme' has no extension point 'tax-rules'",
      ]);
    });

    it("treats a host with no extension points as lacking every one", () => {
      const bare: Host = { ...host, extensionPoints: [] };
      expect(hostProblems({ extensionPoints: ["payment-methods"] }, bare)).toEqual([
        "extensionPoints: the host of tenant 'acme' has no extension point 'payment-methods'",
      ]);
    });

    it("matches point names exactly", () => {
      expect(hostProblems({ extensionPoints: ["payment"] }, host)).toHaveLength(1);
    });

    it("names a point whose contract range the host's contract version is outside", () => {
      expect(hostProblems({ extensionPoints: [{ name: "payment-methods", contract: "^2" }] }, host)).toEqual([
        "extensionPoints: 'payment-methods' needs contract ^2, and the host offers 1.4.0",
      ]);
      expect(hostProblems({ extensionPoints: [{ name: "payment-methods", contract: "~1.3.0" }] }, host)).toHaveLength(
        1,
      );
    });

    it("accepts a point given by name whatever its contract version", () => {
      expect(hostProblems({ extensionPoints: ["payment-methods", "checkout-steps"] }, host)).toEqual([]);
    });

    it("counts a prerelease contract version inside the range (includePrerelease)", () => {
      const preview: Host = { ...host, extensionPoints: [{ name: "payment-methods", contractVersion: "1.5.0-rc.1" }] };
      expect(hostProblems({ extensionPoints: [{ name: "payment-methods", contract: "^1.4.0" }] }, preview)).toEqual([]);
    });
  });

  it("reports every problem at once, engines first", () => {
    expect(
      hostProblems(
        {
          engines: { host: "^3.0.0" },
          extensionPoints: ["shipping-rates", { name: "payment-methods", contract: "^2" }, "checkout-steps"],
        },
        host,
      ),
    ).toEqual([
      "engines.host: needs host ^3.0.0, and tenant 'acme' runs 2.1.0",
      "extensionPoints: the host of tenant 'acme' has no extension point 'shipping-rates'",
      "extensionPoints: 'payment-methods' needs contract ^2, and the host offers 1.4.0",
    ]);
  });
});
