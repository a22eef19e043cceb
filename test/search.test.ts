/**
 * Browsing the registry: `plugins.search` ranks by full text (id and name above the
 * description), filters by category and extension point, and pages with an opaque keyset
 * cursor, in id order and in ranked order alike.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintCast } from "./cast";
import { expectTrpcError, pluginMetadata, present, publish, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let alice: string;

interface Seed {
  id: string;
  name: string;
  description: string;
  category: string;
  extensionPoints: string[];
}

/** Ids chosen so that id order and rank order disagree. */
const SEEDS: Seed[] = [
  // Description-only matches of "widget" (one occurrence each, weight B).
  {
    id: "a-clock",
    name: "Clock",
    description: "Shows the time as a widget",
    category: "gadgets",
    extensionPoints: ["dashboard"],
  },
  {
    id: "b-calendar",
    name: "Calendar",
    description: "A widget for your calendar",
    category: "gadgets",
    extensionPoints: ["dashboard", "sidebar"],
  },
  {
    id: "c-weather",
    name: "Weather",
    description: "Forecast widget",
    category: "gadgets",
    extensionPoints: ["sidebar"],
  },
  {
    id: "d-notes",
    name: "Notes",
    description: "Sticky notes widget",
    category: "gadgets",
    extensionPoints: ["dashboard"],
  },
  // Name matches (one occurrence each, weight A): equal ranks, ordered by id among themselves.
  {
    id: "m-alpha",
    name: "Widget Alpha",
    description: "First of its kind",
    category: "gadgets",
    extensionPoints: ["dashboard"],
  },
  {
    id: "n-beta",
    name: "Widget Beta",
    description: "Second of its kind",
    category: "gadgets",
    extensionPoints: ["sidebar"],
  },
  {
    id: "o-gamma",
    name: "Widget Gamma",
    description: "Third of its kind",
    category: "gadgets",
    extensionPoints: ["dashboard"],
  },
  {
    id: "p-delta",
    name: "Widget Delta",
    description: "Fourth of its kind",
    category: "gadgets",
    extensionPoints: ["toolbar"],
  },
  // No match.
  {
    id: "q-gizmo",
    name: "Gizmo",
    description: "Nothing to see here",
    category: "gadgets",
    extensionPoints: ["toolbar"],
  },
  {
    id: "r-stopwatch",
    name: "Stopwatch",
    description: "Counts seconds",
    category: "gadgets",
    extensionPoints: ["dashboard"],
  },
  // Another category.
  {
    id: "aa-data-sync",
    name: "Data Tools",
    description: "Keeps every ledger entry in sync",
    category: "finance",
    extensionPoints: ["reports"],
  },
  {
    id: "zz-ledger-export",
    name: "Ledger Export",
    description: "Exports data as CSV",
    category: "finance",
    extensionPoints: ["exports"],
  },
  {
    id: "ledger-widget",
    name: "Balance Widget",
    description: "Shows the ledger balance",
    category: "finance",
    extensionPoints: ["dashboard"],
  },
];

const NAME_MATCHES = ["m-alpha", "n-beta", "o-gamma", "p-delta"];
const DESCRIPTION_MATCHES = ["a-clock", "b-calendar", "c-weather", "d-notes"];

beforeAll(async () => {
  stack = await startStack();
  alice = (await mintCast(stack)).alice;
  for (const seed of SEEDS) await publish(stack, alice, pluginMetadata({ ...seed, version: "1.0.0" }));
});
afterAll(() => stack?.stop());

type SearchInput = Parameters<ReturnType<typeof trpc>["plugins"]["search"]["query"]>[0];

/** Every page of a listing, following nextCursor; fails if it does not end within `maxPages`. */
async function allPages(input: SearchInput, maxPages = 50): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await trpc(stack).plugins.search.query({ ...input, cursor });
    pages.push(result.items.map((item) => item.id));
    if (result.nextCursor === null) return pages;
    expect(result.items).toHaveLength(present(input).limit ?? 20);
    cursor = result.nextCursor;
  }
  throw new Error(`the listing did not end within ${maxPages} pages`);
}

async function ids(input: SearchInput): Promise<string[]> {
  const result = await trpc(stack).plugins.search.query(input);
  return result.items.map((item) => item.id);
}

describe("ranking", () => {
  it("ranks a name match above a description-only match", async () => {
    // "Data Tools" (aa-data-sync) has the word only in its description, ledger-widget in its
    // id and description, "Ledger Export" in its id and name: rank order is the reverse of id order.
    expect(await ids({ query: "ledger" })).toEqual(["zz-ledger-export", "ledger-widget", "aa-data-sync"]);
    const ranked = await ids({ query: "widget", category: "gadgets" });
    expect(ranked).toEqual([...NAME_MATCHES, ...DESCRIPTION_MATCHES]);
  });

  it("returns the plugin's listing fields with its latest version", async () => {
    const result = await trpc(stack).plugins.search.query({ query: "stopwatch" });
    expect(result).toEqual({
      items: [
        {
          id: "r-stopwatch",
          name: "Stopwatch",
          description: "Counts seconds",
          category: "gadgets",
          extensionPoints: ["dashboard"],
          displayName: null,
          keywords: [],
          latestVersion: "1.0.0",
          kind: null,
          iconUrl: null,
          updatedAt: expect.any(String),
          downloads: 0,
        },
      ],
      nextCursor: null,
    });
  });

  it("understands web-search syntax: quoted phrases and excluded words", async () => {
    expect(await ids({ query: '"ledger export"' })).toEqual(["zz-ledger-export"]);
    expect((await ids({ query: "ledger -export" })).sort()).toEqual(["aa-data-sync", "ledger-widget"]);
    expect((await ids({ query: "stopwatch or gizmo" })).sort()).toEqual(["q-gizmo", "r-stopwatch"]);
  });

  it.each(["nothingmatchesthis", "a:b & | ! ( )", "'", "-", '"', "widget:*", "<->"])(
    "answers an odd query %j without an error",
    async (query) => {
      const result = await trpc(stack).plugins.search.query({ query });
      expect(Array.isArray(result.items)).toBe(true);
    },
  );
});

describe("filters", () => {
  it("filters by category", async () => {
    expect(await ids({ category: "finance" })).toEqual(["aa-data-sync", "ledger-widget", "zz-ledger-export"]);
    expect(await ids({ category: "nothing-here" })).toEqual([]);
  });

  it("filters by extension point", async () => {
    expect(await ids({ extensionPoint: "sidebar" })).toEqual(["b-calendar", "c-weather", "n-beta"]);
    expect(await ids({ extensionPoint: "toolbar" })).toEqual(["p-delta", "q-gizmo"]);
  });

  it("combines a query with both filters", async () => {
    expect(await ids({ query: "widget", extensionPoint: "dashboard" })).toEqual([
      "ledger-widget",
      "m-alpha",
      "o-gamma",
      "a-clock",
      "b-calendar",
      "d-notes",
    ]);
    expect(await ids({ query: "widget", category: "gadgets", extensionPoint: "sidebar" })).toEqual([
      "n-beta",
      "b-calendar",
      "c-weather",
    ]);
    expect(await ids({ query: "widget", category: "finance" })).toEqual(["ledger-widget"]);
  });
});

describe("cursor pagination", () => {
  it.each([1, 2, 3, 4, 5])("returns every plugin exactly once in id order, %i per page", async (limit) => {
    const everything = await ids({ limit: 100 });
    expect(everything).toHaveLength(SEEDS.length);
    const pages = await allPages({ limit });
    expect(pages.flat()).toEqual(everything);
    expect(pages.length).toBe(Math.ceil(SEEDS.length / limit));
  });

  it.each([1, 2, 3, 5])(
    "returns every match exactly once in ranked order, %i per page, across rank ties",
    async (limit) => {
      const everything = await ids({ query: "widget", limit: 100 });
      expect(everything).toHaveLength(9);
      const pages = await allPages({ query: "widget", limit });
      expect(pages.flat()).toEqual(everything);
      expect(new Set(pages.flat()).size).toBe(everything.length);
    },
  );

  it("pages filtered listings the same way", async () => {
    const everything = await ids({ category: "gadgets", extensionPoint: "dashboard", limit: 100 });
    expect((await allPages({ category: "gadgets", extensionPoint: "dashboard", limit: 2 })).flat()).toEqual(everything);
    const ranked = await ids({ query: "widget", category: "gadgets", limit: 100 });
    expect((await allPages({ query: "widget", category: "gadgets", limit: 3 })).flat()).toEqual(ranked);
  });

  it("neither repeats nor skips rows when plugins are published between pages", async () => {
    const first = await trpc(stack).plugins.search.query({ category: "gadgets", limit: 3 });
    expect(first.items.map((item) => item.id)).toEqual(["a-clock", "b-calendar", "c-weather"]);
    // One before the cursor (must not appear), one after it (must appear once).
    await publish(stack, alice, pluginMetadata({ id: "a-early", category: "gadgets", version: "1.0.0" }));
    await publish(stack, alice, pluginMetadata({ id: "e-late", category: "gadgets", version: "1.0.0" }));
    const rest: string[] = [];
    let cursor = present(first.nextCursor);
    for (;;) {
      const page = await trpc(stack).plugins.search.query({ category: "gadgets", limit: 3, cursor });
      rest.push(...page.items.map((item) => item.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(rest).toEqual(["d-notes", "e-late", "m-alpha", "n-beta", "o-gamma", "p-delta", "q-gizmo", "r-stopwatch"]);
  });

  it.each([
    ["not base64", "!!!not a cursor!!!"],
    ["base64 of plain text", Buffer.from("hello").toString("base64url")],
    ["base64 of a JSON array", Buffer.from("[]").toString("base64url")],
    ["a cursor whose id is a number", Buffer.from('{"id":5}').toString("base64url")],
    ["a cursor whose rank is a string", Buffer.from('{"id":"a","rank":"high"}').toString("base64url")],
    ["an over-long cursor", "a".repeat(2100)],
  ])("refuses a malformed cursor: %s (400)", async (_, cursor) => {
    const message = await expectTrpcError(trpc(stack).plugins.search.query({ cursor }), "BAD_REQUEST", 400);
    expect(message).toMatch(/cursor/);
    await expectTrpcError(trpc(stack).plugins.search.query({ query: "widget", cursor }), "BAD_REQUEST", 400);
  });

  it.each([0, 101, 2.5])("refuses limit %s (400)", async (limit) => {
    await expectTrpcError(trpc(stack).plugins.search.query({ limit }), "BAD_REQUEST", 400);
  });
});
