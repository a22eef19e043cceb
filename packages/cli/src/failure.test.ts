import { describe, expect, it } from "vitest";
import { EXIT } from "./exit-codes";
import { CliFailure, failureLine } from "./failure";

describe("failures", () => {
  it.each([
    [400, EXIT.refused],
    [401, EXIT.refused],
    [409, EXIT.refused],
    [429, EXIT.unavailable],
    [500, EXIT.unavailable],
    [503, EXIT.unavailable],
  ])("an answer of %i exits %i", (status, exitCode) => {
    expect(CliFailure.answered(status, { code: "X", message: "m" }).exitCode).toBe(exitCode);
  });

  it("print as one line: the message, then the code, status and request id", () => {
    const report = { code: "CONFLICT", message: "taken\n  publish a new version", status: 409, requestId: "r-1" };
    expect(failureLine("plugins publish", report)).toBe(
      "plugins publish: taken publish a new version (CONFLICT, 409, request r-1)",
    );
    expect(failureLine("plugins info", { code: "USAGE", message: "no registry" })).toBe(
      "plugins info: no registry (USAGE)",
    );
  });

  it("name the reason Node's fetch hides in its cause", () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    const failure = CliFailure.unreachable("http://127.0.0.1:1", new TypeError("fetch failed", { cause }));
    expect(failure.exitCode).toBe(EXIT.unavailable);
    expect(failure.message).toBe("cannot reach the registry at http://127.0.0.1:1: fetch failed: ECONNREFUSED");
  });
});
