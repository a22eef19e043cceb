import { describe, expect, it } from "vitest";
import { readUpdatePass } from "./update-passes";

const actor = {
  identity: { sub: "alice", role: "editor", tenant: null, email: null },
  request: { requestId: "req-1", ip: null, userAgent: null, publicOrigin: "https://plugins.example.com" },
};

describe("readUpdatePass", () => {
  it("reads a first page and a continuation", () => {
    expect(readUpdatePass({ pluginId: "dropbox", actor })).toEqual({ pass: { pluginId: "dropbox", actor } });
    const after = "0b9a4f7e-3c1d-4e5f-8a6b-7c8d9e0f1a2b";
    expect(readUpdatePass({ pluginId: "dropbox", after, actor })).toEqual({
      pass: { pluginId: "dropbox", after, actor },
    });
  });

  it.each([
    ["a body that is no object", "dropbox", "expected object"],
    ["a message without its actor", { pluginId: "dropbox" }, "actor"],
    ["an empty plugin id", { pluginId: "", actor }, "pluginId"],
    ["a continuation after something that is no instance id", { pluginId: "dropbox", after: "x", actor }, "after"],
    [
      "an actor with an unknown role",
      { pluginId: "dropbox", actor: { ...actor, identity: { ...actor.identity, role: "root" } } },
      "role",
    ],
  ])("names the problem of %s", (_case, body, named) => {
    const read = readUpdatePass(body);
    expect(read).not.toHaveProperty("pass");
    expect("problem" in read && read.problem).toContain(named);
  });
});
