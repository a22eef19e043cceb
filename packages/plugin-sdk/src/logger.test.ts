import { describe, expect, it } from "vitest";
import { fakeEnv } from "../test/fake-env";
import { instanceLogger } from "./logger";
import type { LogBinding } from "./module";

describe("instanceLogger", () => {
  it("writes each level with its message and fields, and no fields argument when none are given", async () => {
    const calls: unknown[][] = [];
    const binding: LogBinding = {
      async write(...args) {
        calls.push(args);
      },
    };
    const log = instanceLogger(binding, () => {});
    await log.debug("d");
    await log.info("i", { documents: 3 });
    await log.warn("w");
    await log.error("e", { status: 500 });
    expect(calls).toEqual([
      ["debug", "d"],
      ["info", "i", { documents: 3 }],
      ["warn", "w"],
      ["error", "e", { status: 500 }],
    ]);
  });

  it("hands every write to track, so the invocation can wait for lines nobody awaited", async () => {
    const env = fakeEnv();
    const tracked: Promise<void>[] = [];
    const log = instanceLogger(env.LOG, (write) => tracked.push(write));
    void log.info("one");
    void log.warn("two", { n: 2 });
    expect(tracked).toHaveLength(2);
    await Promise.all(tracked);
    expect(env.lines).toEqual([
      { level: "info", message: "one" },
      { level: "warn", message: "two", fields: { n: 2 } },
    ]);
  });

  it("drops a line the platform refuses or cannot take, never rejecting", async () => {
    const tracked: Promise<void>[] = [];
    const refusing = instanceLogger({ write: () => Promise.reject(new Error("log rate exceeded")) }, (write) =>
      tracked.push(write),
    );
    await expect(refusing.info("flood")).resolves.toBeUndefined();
    const throwing = instanceLogger(
      {
        write: () => {
          throw new TypeError("could not be cloned");
        },
      },
      (write) => tracked.push(write),
    );
    await expect(throwing.error("unclonable", { fn: () => {} })).resolves.toBeUndefined();
    await expect(Promise.all(tracked)).resolves.toHaveLength(2);
  });
});
