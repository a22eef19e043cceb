import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { readCommandLine, refuseUsage, wholeNumber } from "./cli/command-line";
import { LOCK_FILE, lockDataFolder } from "./dev/data-folder-lock";
import { wranglerOutputFilter } from "./dev/wrangler-output";
import {
  DEV_CONFIG_ENCRYPTION_KEY,
  DEV_INTERNAL_TOKEN_SECRET,
  DEV_JWT_SECRET,
  DEV_SIGNING_KEYS,
} from "./local-stack/dev-token";
import { applyMigrations } from "./local-stack/migrate";
import { type RunningBridge, startNeonBridge } from "./local-stack/neon-bridge";
import { portInUse } from "./local-stack/ports";
import { type RunningPostgres, startPglite } from "./local-stack/postgres";
import { buildWebApp, ROOT } from "./local-stack/worker-bundles";

const HELP = `Usage: pnpm dev

Runs the whole platform locally, with no cloud account and no Docker:
  1. Postgres: an embedded PGlite persisted in .data/pglite, or DATABASE_URL when set
  2. migrations from drizzle/ applied to it
  3. a WebSocket bridge so the Neon driver in the workers reaches a local Postgres
  4. the marketplace and console (packages/web) built into packages/web/dist
  5. both workers under \`wrangler dev\` (local R2 and cache persisted in .data/wrangler)
and prints the URL once /health answers: open it in a browser for the marketplace.
For hot reload of the web app, run \`pnpm --filter @plugins/web dev\` beside it.

Environment:
  PORT                  port of the API worker                        (default 8787)
  DATABASE_URL          use this Postgres (Neon or any server) instead of PGlite
  JWT_SECRET            HS256 secret for bearer tokens                (default: built-in dev secret)
  INTERNAL_TOKEN_SECRET secret between the two workers                (default: built-in dev secret)
  CONFIG_ENCRYPTION_KEY 32 bytes, base64: seals secret config fields  (default: built-in dev key)
  SIGNING_KEYS          Ed25519 keys signing versions (pnpm signing-key) (default: built-in dev key)
  JWT_MAX_LIFETIME_SECONDS
                        longest a bearer token may live, exp - iat    (default: 86400, 24 h)

Options:
  -h, --help            show this help

Writes .dev.vars and workers/plugins/.dev.vars (git-ignored) on every start, with
TRUST_CF_CONNECTING_IP=false: locally every client shares one per-IP budget.
Refuses to start, changing nothing, when PORT is taken or another pnpm dev uses .data/
(it holds .data/dev.lock). Ctrl-C, SIGTERM, SIGHUP, or the end of the process that started
it stop everything it started.
`;

const command = { name: "pnpm dev", help: HELP, options: {} };
readCommandLine(command);

const portText = process.env.PORT ?? "8787";
const port = wholeNumber(portText, 1, 65_535) ?? refuseUsage(command, `PORT must be a port number (got '${portText}')`);
const jwtSecret = process.env.JWT_SECRET ?? DEV_JWT_SECRET;
const internalSecret = process.env.INTERNAL_TOKEN_SECRET ?? DEV_INTERNAL_TOKEN_SECRET;
const configKey = process.env.CONFIG_ENCRYPTION_KEY ?? DEV_CONFIG_ENCRYPTION_KEY;
const signingKeys = process.env.SIGNING_KEYS ?? DEV_SIGNING_KEYS;
const tokenLifetime = process.env.JWT_MAX_LIFETIME_SECONDS;
const step = (message: string) => console.info(`• ${message}`);

/** A refusal at start: one line, and nothing was changed. */
function refuse(problem: string): never {
  process.stderr.write(`pnpm dev: ${problem}\n`);
  process.exit(1);
}

// Before anything is written or started: a second copy would open the same PGlite folder,
// rewrite both .dev.vars files, and find the first copy's /health.
const lock = lockDataFolder(join(ROOT, ".data"));
if (!lock.held) {
  refuse(
    `the data folder .data/ is in use by another pnpm dev (pid ${lock.holder}): stop that one, or delete .data/${LOCK_FILE} if it is no pnpm dev`,
  );
}
const releaseLock = lock.release;
if (await portInUse(port)) {
  releaseLock();
  refuse(`port ${port} is in use: stop what listens there, or start on another one (PORT=8788 pnpm dev)`);
}

let postgres: RunningPostgres | undefined;
let bridge: RunningBridge | undefined;
let wrangler: ChildProcess | undefined;
let stopping: Promise<never> | undefined;

// A closed terminal turns writes into EIO errors: they must not end the process before it stops its children.
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});

/** Signals wrangler's process group: wrangler, its runtime processes (workerd) and esbuild. */
function signalWrangler(signal: NodeJS.Signals) {
  if (wrangler?.pid === undefined) return;
  try {
    process.kill(-wrangler.pid, signal);
  } catch {
    // the group is gone already
  }
}

async function stopWrangler() {
  if (!wrangler || wrangler.exitCode !== null || wrangler.signalCode !== null) {
    signalWrangler("SIGKILL");
    return;
  }
  const exited = new Promise((resolve) => wrangler?.once("exit", resolve));
  signalWrangler("SIGTERM");
  const deadline = setTimeout(() => signalWrangler("SIGKILL"), 5_000);
  await exited;
  clearTimeout(deadline);
  signalWrangler("SIGKILL");
}

/** Stops what this process started, in reverse order, and exits: 0 after a requested stop, 1 after a failure. */
function stop(outcome: { requestedBy: string } | { problem: string }): Promise<never> {
  stopping ??= (async () => {
    if ("problem" in outcome) console.error(`pnpm dev: ${outcome.problem}`);
    else step(`Stopping (${outcome.requestedBy})`);
    await stopWrangler();
    await bridge?.stop().catch(() => {});
    await postgres?.stop().catch(() => {});
    releaseLock();
    process.exit("problem" in outcome ? 1 : 0);
  })();
  return stopping;
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(signal, () => void stop({ requestedBy: signal }));
// pnpm forwards SIGINT and SIGTERM, but a SIGHUP or SIGKILL ends it alone: this process is then
// handed to another parent, and stops too.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop({ requestedBy: "the process that started it ended" });
}, 500).unref();
// The last resort when the process ends without stop(): an uncaught error.
process.on("exit", () => {
  signalWrangler("SIGKILL");
  releaseLock();
});

/** Only a Postgres on this machine needs the bridge; Neon is reached by the driver directly. */
function isLoopback(url: string): boolean {
  return ["localhost", "127.0.0.1", "[::1]", "::1"].includes(new URL(url).hostname);
}

async function waitForHealth(url: string, timeoutMs: number): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return response.json();
    } catch {
      // wrangler is still starting
    }
    if (Date.now() > deadline) throw new Error(`${url}/health did not answer 200 within ${timeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Relays wrangler's output line by line, without the lines that are wrong here. */
function relay(output: Readable, to: NodeJS.WriteStream, keep: (line: string) => string | null) {
  createInterface({ input: output, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
    const kept = keep(line);
    if (kept !== null) to.write(`${kept}\n`);
  });
}

try {
  let databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    step(`Using the Postgres at DATABASE_URL (${new URL(databaseUrl).hostname})`);
  } else {
    step("Starting the embedded Postgres (PGlite, data in .data/pglite)");
    postgres = await startPglite(join(ROOT, ".data/pglite"));
    databaseUrl = postgres.url;
  }
  step("Applying migrations");
  await applyMigrations(databaseUrl);

  let proxyLine = "";
  if (isLoopback(databaseUrl)) {
    bridge = await startNeonBridge();
    proxyLine = `NEON_LOCAL_PROXY=${bridge.address}\n`;
    step(`Neon WebSocket bridge listening on ${bridge.address}`);
  }

  const generated = "# Written by `pnpm dev` on every start; set values through its environment variables.\n";
  const lifetimeLine = tokenLifetime === undefined ? "" : `JWT_MAX_LIFETIME_SECONDS=${tokenLifetime}\n`;
  // No Cloudflare edge in front locally: a CF-Connecting-IP header is whatever the client sent.
  writeFileSync(
    join(ROOT, ".dev.vars"),
    `${generated}JWT_SECRET=${jwtSecret}\nINTERNAL_TOKEN_SECRET=${internalSecret}\n${lifetimeLine}TRUST_CF_CONNECTING_IP=false\nENVIRONMENT=development\n`,
  );
  writeFileSync(
    join(ROOT, "workers/plugins/.dev.vars"),
    `${generated}DATABASE_URL=${databaseUrl}\n${proxyLine}INTERNAL_TOKEN_SECRET=${internalSecret}\nCONFIG_ENCRYPTION_KEY=${configKey}\nSIGNING_KEYS='${signingKeys}'\nENVIRONMENT=development\n`,
  );

  step("Building the marketplace and console (packages/web/dist)");
  buildWebApp(join(ROOT, "packages/web/dist"));

  step(`Starting both workers under wrangler dev on port ${port}`);
  wrangler = spawn(
    join(ROOT, "node_modules/.bin/wrangler"),
    ["dev", "-c", "wrangler.toml", "-c", "workers/plugins/wrangler.toml"]
      .concat(["--port", String(port), "--ip", "127.0.0.1", "--persist-to", ".data/wrangler"])
      .concat(["--show-interactive-dev-session=false"]),
    {
      cwd: ROOT,
      // A process group of its own, so that one signal reaches workerd and esbuild too.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        // Request.cf is fetched from the internet on every start; locally its placeholder does.
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        ...(process.stdout.isTTY ? { FORCE_COLOR: "1" } : {}),
      },
    },
  );
  const keep = wranglerOutputFilter();
  if (wrangler.stdout) relay(wrangler.stdout, process.stdout, keep);
  if (wrangler.stderr) relay(wrangler.stderr, process.stderr, keep);
  wrangler.on(
    "exit",
    (code, signal) => void stop({ problem: `wrangler dev ended (${signal ?? `exit code ${code}`})` }),
  );

  const url = `http://127.0.0.1:${port}`;
  const health = await waitForHealth(url, 90_000);
  if (!stopping) {
    console.info(`
The plugin platform is running at ${url}
  health:  ${JSON.stringify(health)}
  web:     ${url}/ (the marketplace; sign in at ${url}/sign-in)
  token:   pnpm -s token --sub alice --role admin --tenant acme
  tRPC:    ${url}/trpc
Press Ctrl-C to stop.
`);
  }
} catch (error) {
  await stop({ problem: `failed: ${error instanceof Error ? error.message : String(error)}` });
}
