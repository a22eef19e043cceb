import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../scripts/local-stack/worker-bundles";
import { mintCast } from "./cast";
import { install, pluginMetadata, publish } from "./helpers";
import { type Stack, startStack } from "./stack";

/**
 * `@plugins/client` as a project outside the workspace gets it: the package built and packed
 * (`pnpm pack`), installed with nothing but @trpc/client into a copy of
 * test/fixtures/outside-project (its own package.json and strict tsconfigs), compiled with
 * `moduleResolution` bundler and nodenext, and its script run against a stack.
 */

const run = promisify(execFile);
const PACKAGE = join(ROOT, "packages/client");
const FIXTURE = join(ROOT, "test/fixtures/outside-project");
/** Builds, installs from the registry and compiles: minutes, on a loaded two-core machine. */
const SLOW = 600_000;

let work = "";
let project = "";
let tarball = "";
let stack: Stack;
let alice = "";

async function sh(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  return run(command, args, {
    cwd,
    env: { ...process.env, ...env },
    timeout: SLOW,
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** Runs the project's own compiler, returning its output and exit code instead of throwing. */
async function tsc(config: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await sh(process.execPath, ["node_modules/typescript/bin/tsc", "-p", config], project);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "outside-project-"));
  await sh("pnpm", ["--filter", "@plugins/client", "build"], ROOT);
  await sh("pnpm", ["pack", "--pack-destination", work], PACKAGE);
  const packed = readdirSync(work).find((name) => name.endsWith(".tgz"));
  if (!packed) throw new Error(`pnpm pack wrote no tarball into ${work}`);
  tarball = join(work, packed);

  project = join(work, "project");
  cpSync(FIXTURE, project, { recursive: true, filter: (path) => !/[/\\](node_modules|dist)$/.test(path) });
  // The project's own devDependency (its compiler), the packed package and @trpc/client; npm
  // adds their peers (@trpc/server) as it always does.
  await sh(
    "npm",
    ["install", "--no-audit", "--no-fund", "--ignore-scripts", tarball, "@trpc/client@11.25.2"],
    project,
    {
      npm_config_update_notifier: "false",
    },
  );

  stack = await startStack();
  alice = (await mintCast(stack)).alice;
  await publish(stack, alice, pluginMetadata({ id: "outside-charts", version: "1.0.0" }));
  const installed = await install(stack, alice, "acme", { pluginId: "outside-charts", activate: true });
  expect(installed.status, await installed.text()).toBe(201);
}, SLOW);

afterAll(async () => {
  await stack?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed @plugins/client", () => {
  it("holds the built JavaScript and one declaration file per entry, no source", async () => {
    const { stdout } = await sh("tar", ["tzf", tarball], work);
    const files = stdout.trim().split("\n").sort();
    expect(files).toEqual(expect.arrayContaining(["package/dist/index.d.ts", "package/dist/loader.d.ts"]));
    expect(files.filter((file) => !/^package\/(package\.json|dist\/[\w-]+\.(js|d\.ts))$/.test(file))).toEqual([]);
  });

  it("declares nothing but @trpc/client and @trpc/server, its peers, for the project to install", () => {
    const installed = JSON.parse(readFileSync(join(project, "node_modules/@plugins/client/package.json"), "utf8"));
    expect(installed.dependencies ?? {}).toEqual({});
    expect(Object.keys(installed.peerDependencies).sort()).toEqual(["@trpc/client", "@trpc/server"]);
    const declarations = ["index.d.ts", "loader.d.ts"].map((name) =>
      readFileSync(join(project, "node_modules/@plugins/client/dist", name), "utf8"),
    );
    const imported = declarations.flatMap((text) => [...text.matchAll(/from '([^']+)'/g)].map((match) => match[1]));
    expect([...new Set(imported)].sort()).toEqual(["@trpc/client", "@trpc/server"]);
  });

  it("installs into the project without any server or Workers types", () => {
    const folders = readdirSync(join(project, "node_modules")).filter((name) => !name.startsWith("."));
    expect(folders.sort()).toEqual(["@plugins", "@trpc", "typescript"]);
    expect(readdirSync(join(project, "node_modules/@trpc")).sort()).toEqual(["client", "server"]);
    expect(existsSync(join(project, "node_modules/@types"))).toBe(false);
  });

  it.each(["tsconfig.bundler.json", "tsconfig.nodenext.json"])(
    "compiles the project's script under its strict %s, library declarations checked",
    async (config) => {
      const { code, output } = await tsc(config);
      expect(output).toBe("");
      expect(code).toBe(0);
    },
    SLOW,
  );

  it(
    "runs the compiled script against the stack: typed client, package document, signature check, tenant data",
    async () => {
      await tsc("tsconfig.nodenext.json");
      const { stdout } = await sh(process.execPath, ["dist/check.js"], project, {
        PLATFORM_URL: stack.url,
        PLATFORM_TOKEN: alice,
        PLATFORM_TENANT: "acme",
        PLATFORM_PLUGIN: "outside-charts",
      });
      expect(JSON.parse(stdout)).toEqual({
        health: { postgres: "ok", r2: "ok" },
        plugin: "outside-charts",
        latest: "1.0.0",
        files: ["bundle.js"],
        signature: "verified",
        instances: ["outside-charts"],
        manifestPlugins: ["outside-charts@1.0.0"],
      });
    },
    SLOW,
  );
});
