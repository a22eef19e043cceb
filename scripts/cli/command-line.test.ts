import { describe, expect, it } from "vitest";
import { parseCommandLine, wholeNumber } from "./command-line";

const token = {
  name: "pnpm token",
  help: "Usage: pnpm token --sub <user>\n",
  options: { sub: { type: "string" }, role: { type: "string", default: "viewer" } },
} as const;
const dev = { name: "pnpm dev", help: "Usage: pnpm dev\n", options: {} };

describe("parseCommandLine", () => {
  it("reads the declared flags, with their defaults", () => {
    expect(parseCommandLine(token, ["--sub", "alice"])).toEqual({
      kind: "run",
      values: { sub: "alice", role: "viewer" },
    });
    expect(parseCommandLine(token, ["--sub=alice", "--role=admin"])).toMatchObject({
      values: { sub: "alice", role: "admin" },
    });
  });

  it.each([
    [dev, ["--port", "8942"], "unknown option --port"],
    [dev, ["-p"], "unknown option -p"],
    [dev, ["8942"], "unexpected argument '8942'"],
    [token, ["--sub"], "--sub needs a value"],
    [token, ["--sub", "--role", "admin"], "--sub needs a value (got the option --role; write --sub=--role to mean it)"],
    [token, ["--help=yes"], "--help takes no value"],
    [token, ["--sub", "alice", "extra"], "unexpected argument 'extra'"],
  ] as const)("%# refuses %j with one sentence naming the flag", (command, args, problem) => {
    expect(parseCommandLine(command, [...args])).toEqual({ kind: "problem", problem });
  });

  it("answers --help and -h on every command, even one without flags", () => {
    expect(parseCommandLine(dev, ["--help"])).toEqual({ kind: "help" });
    expect(parseCommandLine(token, ["-h"])).toEqual({ kind: "help" });
  });
});

describe("wholeNumber", () => {
  it.each([
    ["8787", 8787],
    ["1", 1],
    ["65535", 65535],
  ])("reads %s", (text, value) => expect(wholeNumber(text, 1, 65_535)).toBe(value));

  it.each(["0", "65536", "-1", "+5", "1.5", "1e3", " 80", "0x50", "", "5x"])("refuses '%s'", (text) => {
    expect(wholeNumber(text, 1, 65_535)).toBeNull();
  });
});
