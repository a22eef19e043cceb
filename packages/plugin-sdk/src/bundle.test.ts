import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ALICE, fakeEnv, invocation } from "../test/fake-env";
import type { PluginModule } from "./module";

const PACKAGE = fileURLToPath(new URL("..", import.meta.url));
const ESBUILD = join(PACKAGE, "../../node_modules/.bin/esbuild");
/** The README's build command, but for where the output goes. */
const BUILD_FLAGS = ["--bundle", "--format=esm", "--platform=neutral"];
const README = readFileSync(join(PACKAGE, "README.md"), "utf8");

/** The README's fenced block of `language` under `heading`. */
function readmeBlock(heading: string, language: string): string {
  const section = README.slice(README.indexOf(`\n## ${heading}\n`));
  const start = section.indexOf(`\n\`\`\`${language}\n`) + language.length + 5;
  return section.slice(start, section.indexOf("\n```\n", start) + 1);
}

const UPSTREAM_DOCUMENTS = [
  { id: "a", title: "Quarterly report", body: "Revenue grew" },
  { id: "b", title: "Roadmap", body: "Search lands in June" },
];

describe("the README's example, built with the README's command", () => {
  let folder: string;
  let code: string;
  let plugin: PluginModule;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), "plugin-sdk-bundle-"));
    execFileSync(
      ESBUILD,
      ["server.ts", ...BUILD_FLAGS, `--outfile=${join(folder, "server.js")}`, "--log-level=error"],
      {
        cwd: join(PACKAGE, "example"),
      },
    );
    code = readFileSync(join(folder, "server.js"), "utf8");
    const url = `data:text/javascript;base64,${Buffer.from(code).toString("base64")}`;
    plugin = ((await import(/* @vite-ignore */ url)) as { default: PluginModule }).default;
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("is the file the README shows, built by the command it documents", () => {
    expect(readmeBlock("A complete example", "ts")).toBe(readFileSync(join(PACKAGE, "example/server.ts"), "utf8"));
    expect(readmeBlock("Build", "sh")).toContain(
      `npx esbuild server.ts ${BUILD_FLAGS.join(" ")} --outfile=dist/server.js\n`,
    );
  });

  it("is one ES module that imports nothing, whose default export has fetch and the hooks the example defines", () => {
    expect(code).not.toMatch(/^\s*import\b|\brequire\(|\bimport\(/m);
    expect(Object.keys(plugin).sort()).toEqual(["fetch", "onActivate", "onInstall", "onUpdate", "scheduled"]);
    for (const method of Object.values(plugin)) expect(method).toBeTypeOf("function");
  });

  it("runs its hooks, routes and scheduled task against the platform's env shapes", async () => {
    const upstream = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      expect(String(input)).toBe("https://upstream.test/documents");
      expect(init?.headers).toEqual({ authorization: "Bearer s3cret" });
      return Response.json(UPSTREAM_DOCUMENTS);
    });
    vi.stubGlobal("fetch", upstream);
    const env = fakeEnv({ caller: ALICE });
    const ask = async (method: string, path: string, caller = ALICE) => {
      const response = await plugin.fetch(
        new Request(`https://plugin.invalid${path}`, { method }),
        { ...env, CALLER: caller },
        invocation(),
      );
      return { status: response.status, body: await response.json() };
    };

    await plugin.onInstall?.({ type: "install" }, env, invocation());
    await expect(
      plugin.onInstall?.(
        { type: "install" },
        { ...env, PLUGIN: { ...env.PLUGIN, config: { upstream: "http://x.test" } } },
        invocation(),
      ),
    ).rejects.toThrow("upstream must be an https:// URL");

    expect(await ask("GET", "/documents")).toEqual({ status: 200, body: [] });
    await plugin.onActivate?.({ type: "activate" }, env, invocation());
    expect(upstream).toHaveBeenCalledTimes(1);
    expect(await ask("GET", "/documents")).toEqual({ status: 200, body: UPSTREAM_DOCUMENTS });
    expect(await ask("GET", "/documents/b")).toEqual({ status: 200, body: UPSTREAM_DOCUMENTS[1] });
    expect((await ask("GET", "/documents/zz")).status).toBe(404);
    expect(await ask("GET", "/search?q=june")).toEqual({ status: 200, body: [UPSTREAM_DOCUMENTS[1]] });
    expect(await ask("POST", "/sync")).toEqual({ status: 200, body: { documents: 2 } });
    expect((await ask("POST", "/sync", { ...ALICE, role: "viewer" })).status).toBe(403);

    await plugin.scheduled?.({ name: "sync", cron: "*/15 * * * *", scheduledTime: Date.now() }, env, invocation());
    expect(upstream).toHaveBeenCalledTimes(3);
    await expect(
      plugin.scheduled?.({ name: "reindex", cron: "0 * * * *", scheduledTime: 0 }, env, invocation()),
    ).rejects.toThrow('no handler for scheduled task "reindex": tasks has "sync"');
    await plugin.onUpdate?.({ type: "update", fromVersion: "1.0.0", toVersion: "1.1.0" }, env, invocation());
    expect(env.lines.map((line) => line.message)).toEqual(["synced", "synced", "synced", "updated"]);
  });
});
