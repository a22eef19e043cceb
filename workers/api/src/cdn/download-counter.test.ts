import { describe, expect, it } from "vitest";
import { DownloadCounter } from "./download-counter";

it("holds counts until enough have accumulated, then hands them out once", () => {
  const counter = new DownloadCounter(3, 60_000);
  counter.count("a", "1.0.0", 0);
  counter.count("a", "1.0.0", 1);
  expect(counter.takeBatchIfDue(2)).toBeNull();
  counter.count("b", "2.0.0", 3);
  expect(counter.takeBatchIfDue(4)).toEqual({
    day: "1970-01-01",
    counts: [
      { pluginId: "a", version: "1.0.0", count: 2 },
      { pluginId: "b", version: "2.0.0", count: 1 },
    ],
  });
  expect(counter.takeBatchIfDue(5)).toBeNull();
});

it("hands out a small batch once its first count is old enough", () => {
  const counter = new DownloadCounter(100, 10_000);
  counter.count("a", "1.0.0", 1_000);
  expect(counter.takeBatchIfDue(10_999)).toBeNull();
  expect(counter.takeBatchIfDue(11_000)?.counts).toEqual([{ pluginId: "a", version: "1.0.0", count: 1 }]);
});

describe("record", () => {
  const download = { pluginId: "a", version: "1.0.0", isEntry: true, method: "GET", status: 200 };

  it.each([
    ["a file that is not the entry", { isEntry: false }],
    ["a HEAD", { method: "HEAD" }],
    ["a range (206)", { status: 206 }],
    ["a refusal (404)", { status: 404 }],
  ])("does not count %s", (_, differs) => {
    const counter = new DownloadCounter(1, 60_000);
    expect(counter.record({ ...download, ...differs }, 0)).toBeNull();
    expect(counter.takeBatchIfDue(60_000)).toBeNull();
  });

  it("counts a full download and a 304 revalidation of the entry, handing out the batch when due", () => {
    const counter = new DownloadCounter(2, 60_000);
    expect(counter.record(download, 0)).toBeNull();
    expect(counter.record({ ...download, status: 304 }, 1)).toEqual({
      day: "1970-01-01",
      counts: [{ pluginId: "a", version: "1.0.0", count: 2 }],
    });
  });
});
