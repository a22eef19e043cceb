import { describe, expect, it } from "vitest";
import { wranglerOutputFilter } from "./wrangler-output";

const EXPLANATION =
  "Service bindings, Durable Object bindings, and Tail consumers connect to other Wrangler or Vite dev processes running locally, with their connection status indicated by [connected] or [not connected]. For more details, refer to https://developers.cloudflare.com/workers/runtime-apis/bindings/service-bindings/#local-development";

function filtered(lines: string[]): string[] {
  const keep = wranglerOutputFilter();
  return lines.map(keep).filter((line): line is string => line !== null);
}

describe("wranglerOutputFilter", () => {
  it("drops the false [not connected] of the PLUGINS binding and the paragraph explaining it", () => {
    // As wrangler 4.86 prints the API worker's bindings in this repository's `pnpm dev`.
    const output = [
      "env.PLUGINS (plugin-registry)                                                  Worker                    local [not connected]",
      'env.JWT_SECRET ("(hidden)")                                                    Environment Variable      local',
      "",
      "",
      EXPLANATION,
      "",
      "Using secrets defined in workers/plugins/.dev.vars",
    ];
    expect(filtered(output)).toEqual([
      "env.PLUGINS (plugin-registry)                                                  Worker                    local",
      'env.JWT_SECRET ("(hidden)")                                                    Environment Variable      local',
      "",
      "",
      "Using secrets defined in workers/plugins/.dev.vars",
    ]);
  });

  it("finds the mark inside colour codes", () => {
    const line =
      "\u001b[37menv.PLUGINS\u001b[39m (plugin-registry)   Worker   \u001b[34mlocal\u001b[39m\u001b[31m [not connected]\u001b[39m";
    expect(filtered([line])).toEqual(["env.PLUGINS (plugin-registry)   Worker   local"]);
  });

  it("keeps the mark and the explanation of a binding to a worker outside this session", () => {
    const output = [
      "env.PLUGINS (plugin-registry)   Worker   local [not connected]",
      "env.BILLING (billing-worker)    Worker   local [not connected]",
      EXPLANATION,
    ];
    expect(filtered(output)).toEqual([
      "env.PLUGINS (plugin-registry)   Worker   local",
      "env.BILLING (billing-worker)    Worker   local [not connected]",
      EXPLANATION,
    ]);
  });

  it("passes every other line as it is, colours included", () => {
    const lines = [
      "[wrangler:info] Ready on http://127.0.0.1:8787",
      "\u001b[31m✘ [ERROR]\u001b[0m Address already in use",
      "",
    ];
    expect(filtered(lines)).toEqual(lines);
  });
});
