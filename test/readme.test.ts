import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_JWT_SECRET } from "../scripts/local-stack/dev-token";
import { ROOT } from "../scripts/local-stack/worker-bundles";
import { type Stack, startStack } from "./stack";

/**
 * Every fenced `sh` block of README.md runs as written, in README order, each in a fresh
 * bash (`set -euo pipefail`) standing in an empty folder, against a real stack whose origin
 * replaces `http://127.0.0.1:8787`. `pnpm` is the real one, run in this repository, so
 * `pnpm -s token` is the repository's script. curl reads a `.curlrc` with `fail-with-body`,
 * so an answer of 4xx or 5xx fails its command as a refused connection would.
 *
 * A block that cannot run here (it starts the long-running server, or needs a Cloudflare
 * account) is preceded in README.md by the line
 *   <!-- not run by test/readme.test.ts: <why> -->
 */
const SKIP_MARKER = /^<!-- not run by test\/readme\.test\.ts: (.+) -->$/;
const DOCUMENTED_ORIGIN = "http://127.0.0.1:8787";

interface ShellBlock {
  heading: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  skipped?: string;
}

function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split("\n");
  const blocks: ShellBlock[] = [];
  let heading = "";
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    if (line.startsWith("#")) heading = line.replace(/^#+\s*/, "");
    const fence = /^```(\S*)/.exec(line);
    if (!fence) continue;
    const start = index;
    while (index + 1 < lines.length && !lines[index + 1]?.startsWith("```")) index++;
    index++; // the closing fence
    if (fence[1] !== "sh") continue;
    const before =
      lines
        .slice(0, start)
        .filter((previous) => previous.trim() !== "")
        .at(-1) ?? "";
    blocks.push({
      heading,
      line: start + 1,
      code: lines.slice(start + 1, index).join("\n"),
      skipped: SKIP_MARKER.exec(before)?.[1],
    });
  }
  return blocks;
}

const blocks = shellBlocks(readFileSync(join(ROOT, "README.md"), "utf8"));

describe("README.md's command blocks", () => {
  let stack: Stack;
  let sandbox: string;
  let shims: string;
  let curlHome: string;

  beforeAll(async () => {
    stack = await startStack();
    sandbox = mkdtempSync(join(tmpdir(), "plugin-platform-readme-"));
    shims = join(sandbox, "bin");
    curlHome = join(sandbox, "curl");
    mkdirSync(shims);
    mkdirSync(curlHome);
    mkdirSync(join(sandbox, "tmp"));
    const pnpm = execFileSync("sh", ["-c", "command -v pnpm"], { encoding: "utf8" }).trim();
    writeFileSync(join(shims, "pnpm"), `#!/bin/sh\nexec '${pnpm}' --dir '${ROOT}' "$@"\n`);
    chmodSync(join(shims, "pnpm"), 0o755);
    writeFileSync(join(curlHome, ".curlrc"), "fail-with-body\nsilent\nshow-error\n");
  });
  afterAll(async () => {
    await stack?.stop();
    if (sandbox) rmSync(sandbox, { recursive: true, force: true });
  });

  it("runs the quick start and the archive example, and says why for each block it leaves out", () => {
    const run = blocks.filter((block) => !block.skipped).map((block) => block.heading);
    expect(run).toEqual(expect.arrayContaining(["Quick start", "Publishing a built folder"]));
    for (const block of blocks.filter((block) => block.skipped)) expect(block.skipped?.length).toBeGreaterThan(10);
  });

  it.each(blocks.filter((block) => !block.skipped).map((block) => [block.heading, block.line, block]))(
    "the block under %s (README.md:%i) runs, writing nothing where it was started",
    (_heading, line, block) => {
      const start = mkdtempSync(join(sandbox, "terminal-"));
      const result = spawnSync(
        "bash",
        ["-c", `set -euo pipefail\n${block.code.replaceAll(DOCUMENTED_ORIGIN, stack.url)}`],
        {
          cwd: start,
          encoding: "utf8",
          timeout: 60_000,
          env: {
            ...process.env,
            PATH: `${shims}:${process.env.PATH}`,
            CURL_HOME: curlHome,
            TMPDIR: join(sandbox, "tmp"),
            // The stack's secrets, whatever a `pnpm dev` of this clone wrote into .dev.vars.
            JWT_SECRET: DEV_JWT_SECRET,
            JWT_MAX_LIFETIME_SECONDS: "86400",
          },
        },
      );
      expect(result.status, `README.md:${line} failed:\n${result.stdout}\n${result.stderr}`).toBe(0);
      expect(readdirSync(start)).toEqual([]);
    },
    60_000,
  );

  it("left what the blocks published in the registry", async () => {
    const response = await fetch(`${stack.url}/plugins/bundles/charts@beta`, { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`${stack.url}/plugins/bundles/charts/v1.2.0/index.js`);
    const chunk = await fetch(`${stack.url}/plugins/bundles/charts/v1.2.0/chunks/chart.js`);
    expect(chunk.status).toBe(200);
    const quickStart = await fetch(`${stack.url}/plugins/bundles/test-plugin/v1.0.0/bundle.js`);
    expect(await quickStart.text()).toContain('host.log("hello")');
  });
});

describe("README.md's list of test suites", () => {
  it("names every integration test file under test/, and none that is not there", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const start = readme.indexOf("What the suites cover, by file:");
    expect(start).toBeGreaterThan(-1);
    // The list runs to the end of its paragraph; a suite is named by its file's stem in backticks.
    const list = readme.slice(start, readme.indexOf("\n\n", start));
    const named = new Set([...list.matchAll(/`([a-z][a-z-]*)`/g)].map((match) => match[1]));
    const suites = readdirSync(join(ROOT, "test"))
      .filter((name) => name.endsWith(".test.ts"))
      .map((name) => name.slice(0, -".test.ts".length));
    expect([...named].sort()).toEqual(suites.sort());
  });
});
