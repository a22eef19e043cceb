import { afterEach, describe, expect, it, vi } from "vitest";
import { ALICE, FACTS, fakeEnv } from "../test/fake-env";
import { pluginContext, requestContext } from "./context";

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("pluginContext", () => {
  it("names the plugin, version, tenant and instance, and hands over the config, secrets included", () => {
    const context = pluginContext(fakeEnv(), () => {});
    expect(context).toMatchObject({
      pluginId: "notes-source",
      version: "1.2.0",
      tenantId: "acme",
      instanceId: "notes",
      config: { upstream: "https://upstream.test", apiToken: "s3cret" },
    });
    expect(Object.keys(context).sort()).toEqual(
      ["config", "fetch", "instanceId", "log", "pluginId", "sql", "storage", "tenantId", "version"].sort(),
    );
  });

  it("fetches with the global fetch as it is when called, the one the platform's gateway stands behind", async () => {
    const context = pluginContext(fakeEnv(), () => {});
    const gateway = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => new Response("upstream"));
    vi.stubGlobal("fetch", gateway);
    const response = await context.fetch("https://upstream.test/documents", {
      headers: { accept: "application/json" },
    });
    expect(await response.text()).toBe("upstream");
    expect(gateway).toHaveBeenCalledWith("https://upstream.test/documents", {
      headers: { accept: "application/json" },
    });
  });
});

describe("requestContext", () => {
  it("adds the verified caller", () => {
    const context = requestContext(fakeEnv({ caller: ALICE }), () => {});
    expect(context.caller).toEqual({ id: "alice", role: "editor", tenantId: "acme" });
    expect(context.instanceId).toBe(FACTS.instanceId);
  });

  it("refuses to build a request's context without a caller", () => {
    expect(() => requestContext(fakeEnv({ caller: null }), () => {})).toThrow(
      "the platform passed no caller to this request",
    );
  });
});
