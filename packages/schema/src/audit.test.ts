import { describe, expect, it } from "vitest";
import { auditListInputSchema } from "./audit";
import { describeIssues } from "./issues";

describe("auditListInputSchema", () => {
  it.each([
    {},
    { action: "installation.upgrade" },
    { action: "installation." },
    { action: "plugin_version.publish", resourceType: "plugin_version", resourceId: "a-plugin", actor: "alice" },
    { since: "2026-01-01T00:00:00Z", until: "2026-01-01T00:00:00.000001Z" },
    { since: "0001-01-01T00:00:00+01:00", until: "9999-12-31T23:59:59-14:00" },
  ])("takes %j", (input) => {
    expect(auditListInputSchema.parse(input)).toEqual({ ...input, limit: 50 });
  });

  it.each([
    ["action", { action: "installation.*" }],
    ["action", { action: "installation.." }],
    ["action", { action: "a".repeat(101) }],
    ["resourceType", { resourceType: "instance" }],
    ["resourceId", { resourceId: "\ud800" }],
    ["actor", { actor: "" }],
    ["since", { since: "2026-01-01T00:00:00" }],
    ["since", { since: "0000-01-01T00:00:00Z" }],
    ["until", { until: "2025-02-29T00:00:00Z" }],
    ["until", { since: "2026-01-01T00:00:01Z", until: "2026-01-01T00:00:00Z" }],
    ["cursor", { cursor: 5 }],
  ])("refuses a bad %s, naming it: %j", (field, input) => {
    const result = auditListInputSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(describeIssues(result.error?.issues ?? [])).toMatch(new RegExp(`^${field}: [^;]+$`));
  });
});
