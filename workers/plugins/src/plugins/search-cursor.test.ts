import { encodeBase64url } from "@plugins/runtime";
import type { SearchSort } from "@plugins/schema";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, type SearchCursor } from "./search-cursor";

const forged = (value: unknown) => encodeBase64url(new TextEncoder().encode(JSON.stringify(value)));

describe("search cursors", () => {
  it.each<SearchCursor>([
    { sort: "name", id: "a-plugin" },
    { sort: "name", query: "widget", id: "a-plugin" },
    { sort: "relevance", query: "widget", key: 0.0607927, id: "a-plugin" },
    { sort: "updated", key: 1_764_631_208_123_456, id: "a-plugin" },
    { sort: "updated", key: -1, id: "a-plugin" },
    { sort: "downloads", query: "widget", key: 0, id: "a-plugin" },
  ])("gives back the cursor it made for the same listing: %j", (cursor) => {
    expect(decodeCursor(encodeCursor(cursor), { sort: cursor.sort, query: cursor.query })).toEqual(cursor);
  });

  it.each([
    ["another sort", { sort: "updated", query: "widget" }],
    ["no query", { sort: "downloads", query: undefined }],
    ["another query", { sort: "downloads", query: "widgets" }],
  ] as const)("refuses a cursor used with %s", (_, listing) => {
    const cursor = encodeCursor({ sort: "downloads", query: "widget", key: 3, id: "a" });
    expect(() => decodeCursor(cursor, listing)).toThrow(/^cursor: it continues a listing of another sort or query/);
  });

  it("refuses a cursor of a listing without words used with words", () => {
    const cursor = encodeCursor({ sort: "name", id: "a" });
    expect(() => decodeCursor(cursor, { sort: "name", query: "widget" })).toThrow(/another sort or query/);
  });

  it.each<[string, SearchSort, string | undefined, object]>([
    ["a key past float4", "relevance", "w", { sort: "relevance", query: "w", key: 1e39, id: "a" }],
    ["a key float4 rounds to zero", "relevance", "w", { sort: "relevance", query: "w", key: 1e-50, id: "a" }],
    ["microseconds that are no safe integer", "updated", undefined, { sort: "updated", key: 2 ** 53, id: "a" }],
    ["a fraction of a microsecond", "updated", undefined, { sort: "updated", key: 0.5, id: "a" }],
    ["negative downloads", "downloads", undefined, { sort: "downloads", key: -1, id: "a" }],
    ["no key where the order needs one", "updated", undefined, { sort: "updated", id: "a" }],
    ["an id no plugin can have", "name", undefined, { sort: "name", id: "A B" }],
    ["a query longer than any query", "name", "w".repeat(201), { sort: "name", query: "w".repeat(201), id: "a" }],
    ["no sort", "name", undefined, { id: "a" }],
  ])("refuses %s as no cursor of a page", (_, sort, query, value) => {
    expect(() => decodeCursor(forged(value), { sort, query })).toThrow(
      "cursor: not a cursor returned by a previous page",
    );
  });
});
