import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCK_FILE, processIsAlive } from "../scripts/dev/data-folder-lock";
import { ROOT } from "../scripts/local-stack/worker-bundles";

/** Runs `pnpm -s <script> ...args` in this repository, as a user would. */
function pnpm(args: string[], env: Record<string, string> = {}) {
  return spawnSync("pnpm", ["-s", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, ...env },
  });
}

const STACK_LINE = /^\s+at /m;

describe("the repository's commands answer --help and refuse bad flags in one line", () => {
  it.each(["dev", "token", "bench", "db:migrate", "signing-key", "signatures"])(
    "pnpm %s --help prints the usage and exits 0",
    (script) => {
      const result = pnpm([script, "--help"]);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: pnpm ${script}`));
    },
  );

  it.each([
    [["dev", "--port", "8942"], "pnpm dev: unknown option --port", {}],
    [["dev"], "pnpm dev: PORT must be a port number (got '80x')", { PORT: "80x" }],
    [
      ["token", "--sub", "alice", "--expires", "5x"],
      "pnpm token: --expires 5x is not a time span such as 30m or 12h",
      {},
    ],
    [["token", "--role", "admin"], "pnpm token: --sub is required", {}],
    [["token", "--sub"], "pnpm token: --sub needs a value", {}],
    [["bench", "--duration", "4s"], "pnpm bench: --duration must be a whole number from 1 to 3600 (got '4s')", {}],
    [["bench", "fast"], "pnpm bench: unexpected argument 'fast'", {}],
    [["db:migrate", "--url", "postgres://x"], "pnpm db:migrate: unknown option --url", {}],
    [
      ["signing-key", "--expires", "2027-01-01"],
      "pnpm signing-key: --keyid is required: 1 to 64 letters, digits, '.', '_' or '-'",
      {},
    ],
    [
      ["signatures", "--unsigned", "--signed-by", "k"],
      "pnpm signatures: name either --signed-by <keyid> or --unsigned",
      {},
    ],
  ] as const)("pnpm %j: names the problem, shows the usage, exits 2", (args, problem, env) => {
    const result = pnpm([...args], env);
    expect(result.status).toBe(2);
    const [first, usage, more] = result.stderr.split("\n");
    expect(first).toBe(problem);
    expect(usage).toMatch(/^Usage: pnpm /);
    expect(more).toMatch(/--help$/);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.stdout).toBe("");
  });
});

describe("pnpm dev on a port that is taken", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("refuses at once in one line, before it starts or writes anything", () => {
    const lock = join(ROOT, ".data", LOCK_FILE);
    let holder: number | null = null;
    try {
      holder = Number(readFileSync(lock, "utf8"));
    } catch {
      // no pnpm dev runs in this clone
    }
    const started = Date.now();
    const result = pnpm(["dev"], { PORT: String(port) });
    expect(result.status).toBe(1);
    // A pnpm dev running in this clone is refused first, for the data folder.
    expect(result.stderr.trim()).toBe(
      holder !== null && processIsAlive(holder)
        ? `pnpm dev: the data folder .data/ is in use by another pnpm dev (pid ${holder}): stop that one, or delete .data/${LOCK_FILE} if it is no pnpm dev`
        : `pnpm dev: port ${port} is in use: stop what listens there, or start on another one (PORT=8788 pnpm dev)`,
    );
    expect(result.stdout).not.toContain("Starting");
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
