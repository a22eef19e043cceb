import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "./log";

afterEach(() => {
  vi.restoreAllMocks();
});

/** The lines written to stdout and stderr while `run` runs. */
function captured(run: () => void): { stdout: unknown[]; stderr: unknown[] } {
  const stdout: unknown[] = [];
  const stderr: unknown[] = [];
  vi.spyOn(console, "info").mockImplementation((line: string) => stdout.push(JSON.parse(line)));
  vi.spyOn(console, "error").mockImplementation((line: string) => stderr.push(JSON.parse(line)));
  run();
  return { stdout, stderr };
}

describe("createLogger", () => {
  it("writes one JSON line per event, naming the level, the event and the worker before the fields", () => {
    const { stdout } = captured(() => createLogger("api")("info", "request", { status: 200, path: "/health" }));
    expect(stdout).toEqual([{ level: "info", event: "request", worker: "api", status: 200, path: "/health" }]);
  });

  it("sends errors to stderr and warnings to stdout", () => {
    const logEvent = createLogger("plugins");
    const { stdout, stderr } = captured(() => {
      logEvent("warn", "database_unavailable", {});
      logEvent("error", "route_failed", { message: "boom" });
    });
    expect(stdout).toEqual([{ level: "warn", event: "database_unavailable", worker: "plugins" }]);
    expect(stderr).toEqual([{ level: "error", event: "route_failed", worker: "plugins", message: "boom" }]);
  });
});
