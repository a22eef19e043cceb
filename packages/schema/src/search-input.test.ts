import { describe, expect, it } from "vitest";
import { describeIssues } from "./issues";
import { searchInputSchema } from "./plugins";

describe("searchInputSchema", () => {
  it.each([
    [{}, "name", undefined],
    [{ query: "widget" }, "relevance", "widget"],
    [{ query: "  widget " }, "relevance", "widget"],
    [{ query: "   " }, "name", undefined],
    [{ query: "widget", sort: "downloads" }, "downloads", "widget"],
    [{ sort: "updated" }, "updated", undefined],
  ])("reads %j as sort %s, query %j", (input, sort, query) => {
    const parsed = searchInputSchema.parse(input);
    expect(parsed).toMatchObject({ sort, limit: 20 });
    expect(parsed.query).toBe(query);
  });

  it.each([{ sort: "relevance" }, { sort: "relevance", query: "" }, { sort: "relevance", query: " \t" }])(
    "refuses %j naming sort: relevance ranks the matches of a query",
    (input) => {
      const result = searchInputSchema.safeParse(input);
      expect(result.success).toBe(false);
      expect(describeIssues(result.error?.issues ?? [])).toBe('sort: "relevance" ranks matches of a query: give one');
    },
  );

  it("refuses an unknown sort naming it", () => {
    const result = searchInputSchema.safeParse({ sort: "stars" });
    expect(describeIssues(result.error?.issues ?? [])).toMatch(/^sort: /);
  });
});
