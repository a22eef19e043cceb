import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEV_CONFIG_ENCRYPTION_KEY, DEV_INTERNAL_TOKEN_SECRET, DEV_JWT_SECRET } from "./local-stack/dev-token";
import { applyMigrations } from "./local-stack/migrate";
import { type RunningBridge, startNeonBridge } from "./local-stack/neon-bridge";
import { type RunningPostgres, startPglite } from "./local-stack/postgres";
import { ROOT } from "./local-stack/worker-bundles";

const HELP = `Usage: pnpm dev

Runs the whole platform locally, with no cloud account and no Docker:
  1. Postgres: an embedded PGlite persisted in .data/pglite, or DATABASE_URL when set
  2. migrations from drizzle/ applied to it
  3. a WebSocket bridge so the Neon driver in the workers reaches a local Postgres
  4. both workers under \`wrangler dev\` (local R2 and cache persisted in .data/wrangler)
and prints the URL once /health answers.

Environment:
  PORT                  port of the API worker                        (default 8787)
  DATABASE_URL          use this Postgres (Neon or any server) instead of PGlite
  JWT_SECRET            HS256 secret for bearer tokens                (default: built-in dev secret)
  INTERNAL_TOKEN_SECRET secret between the two workers                (default: built-in dev secret)
  CONFIG_ENCRYPTION_KEY 32 bytes, base64: seals secret config fields  (default: built-in dev key)
  JWT_MAX_LIFETIME_SECONDS
                        longest a bearer token may live, exp - iat    (default: 86400, 24 h)

Options:
  -h, --help            show this help

Writes .dev.vars and workers/plugins/.dev.vars (git-ignored) on every start, with
TRUST_CF_CONNECTING_IP=false: locally every client shares one per-IP budget.
`;

const { values } = parseArgs({ options: { help: { type: "boolean", short: "h" } } });
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const port = Number(process.env.PORT ?? 8787);
const jwtSecret = process.env.JWT_SECRET ?? DEV_JWT_SECRET;
const internalSecret = process.env.INTERNAL_TOKEN_SECRET ?? DEV_INTERNAL_TOKEN_SECRET;
const configKey = process.env.CONFIG_ENCRYPTION_KEY ?? DEV_CONFIG_ENCRYPTION_KEY;
const tokenLifetime = process.env.JWT_MAX_LIFETIME_SECONDS;
const step = (message: string) => console.info(`• ${message}`);

let postgres: RunningPostgres | undefined;
let bridge: RunningBridge | undefined;

async function shutdown(code: number) {
  await bridge?.stop().catch(() => {});
  await postgres?.stop().catch(() => {});
  process.exit(code);
}

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
    `${generated}DATABASE_URL=${databaseUrl}\n${proxyLine}INTERNAL_TOKEN_SECRET=${internalSecret}\nCONFIG_ENCRYPTION_KEY=${configKey}\nENVIRONMENT=development\n`,
  );

  step(`Starting both workers under wrangler dev on port ${port}`);
  const wrangler = spawn(
    join(ROOT, "node_modules/.bin/wrangler"),
    ["dev", "-c", "wrangler.toml", "-c", "workers/plugins/wrangler.toml"]
      .concat(["--port", String(port), "--ip", "127.0.0.1", "--persist-to", ".data/wrangler"])
      .concat(["--show-interactive-dev-session=false"]),
    { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  wrangler.on("exit", (code) => void shutdown(code ?? 1));
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => wrangler.kill(signal));
  }

  const url = `http://127.0.0.1:${port}`;
  const health = await waitForHealth(url, 90_000);
  console.info(`
The plugin platform is running at ${url}
  health:  ${JSON.stringify(health)}
  token:   pnpm -s token --sub alice --role admin --tenant acme
  tRPC:    ${url}/trpc
Press Ctrl-C to stop.
`);
} catch (error) {
  console.error(`pnpm dev failed: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
