import { encodeBase64url } from "@plugins/runtime";
import type { AuditFilters } from "@plugins/schema";
import { describe, expect, it } from "vitest";
import { decodeAuditCursor, encodeAuditCursor } from "./audit-cursor";

const forged = (value: unknown) => encodeBase64url(new TextEncoder().encode(JSON.stringify(value)));
const filters: AuditFilters = { tenantId: "acme", action: "installation.", since: "2026-01-01T00:00:00Z" };

describe("audit log cursors", () => {
  it.each<AuditFilters>([{}, { tenantId: "acme" }, filters, { actor: "x".repeat(256), resourceId: "é".repeat(256) }])(
    "gives back the position it made for the same listing, short whatever the filters: %j",
    async (listing) => {
      const cursor = await encodeAuditCursor(42, listing);
      expect(cursor.length).toBeLessThanOrEqual(200);
      expect(await decodeAuditCursor(cursor, { ...listing })).toBe(42);
    },
  );

  it.each<[string, AuditFilters]>([
    ["another tenant", { ...filters, tenantId: "globex" }],
    ["every tenant", { ...filters, tenantId: undefined }],
    ["another action", { ...filters, action: "installation.install" }],
    ["a filter added", { ...filters, actor: "alice" }],
    ["a filter removed", { tenantId: "acme", action: "installation." }],
    ["a value moved to another filter", { tenantId: "acme", actor: "installation.", since: filters.since }],
  ])("refuses a cursor used with %s, naming cursor", async (_, listing) => {
    const cursor = await encodeAuditCursor(42, filters);
    await expect(decodeAuditCursor(cursor, listing)).rejects.toThrow(/^cursor: it continues a listing of another/);
  });

  it.each([
    ["not base64", "%%%"],
    ["not JSON", encodeBase64url(new TextEncoder().encode("{"))],
    ["no id", forged({ of: "x" })],
    ["a fraction", forged({ id: 1.5, of: "x" })],
    ["an id past what is safe", forged({ id: 2 ** 53, of: "x" })],
    ["a zero id", forged({ id: 0, of: "x" })],
    ["another key", forged({ id: 1, of: "x", tenantId: "globex" })],
  ])("refuses a cursor with %s", async (_, text) => {
    await expect(decodeAuditCursor(text, filters)).rejects.toThrow(/^cursor: not a cursor returned by a previous page/);
  });
});
