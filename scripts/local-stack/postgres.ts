import { execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./ports";

export interface RunningPostgres {
  url: string;
  kind: "postgres-server" | "pglite";
  /** The postmaster's process id (its backends are its children); null for PGlite, which runs in this process. */
  pid: number | null;
  stop(): Promise<void>;
  /**
   * A server only: shuts it down keeping its data, as an outage would, and resolves with a
   * function that starts it again on the same port.
   */
  interrupt?(): Promise<() => Promise<void>>;
}

/** The bin folder of the newest installed PostgreSQL server (Debian's layout), or null. */
export function findPostgresBinaries(): string | null {
  if (process.env.PG_BIN && existsSync(join(process.env.PG_BIN, "postgres"))) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((version) => existsSync(join(root, version, "bin", "postgres")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : null;
}

/** PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user. */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  return { uid, gid };
}

async function waitForConnection(url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`Postgres at ${url} did not accept connections: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * Starts a throwaway PostgreSQL server on a free loopback port, tuned for tests
 * (no fsync), in a fresh data folder that is removed on stop.
 */
export async function startPostgresServer(binaries: string): Promise<RunningPostgres> {
  const dataDir = mkdtempSync(join(tmpdir(), "plugin-platform-pg-"));
  const user = serverUser();
  if (user) chownSync(dataDir, user.uid, user.gid);
  const asServerUser = user ? { uid: user.uid, gid: user.gid } : {};
  execFileSync(join(binaries, "initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], {
    ...asServerUser,
    stdio: "ignore",
  });
  const port = await freePort();
  const launch = () =>
    spawn(
      join(binaries, "postgres"),
      ["-D", dataDir, "-p", String(port), "-h", "127.0.0.1", "-k", dataDir]
        .concat(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
        .concat(["-c", "max_connections=300"]),
      { ...asServerUser, stdio: "ignore" },
    );
  const shutDown = async (server: ReturnType<typeof launch>) => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGINT");
    await exited;
  };
  let server = launch();
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  await waitForConnection(url, 20_000);
  return {
    url,
    kind: "postgres-server",
    get pid() {
      return server.pid ?? null;
    },
    async stop() {
      await shutDown(server);
      rmSync(dataDir, { recursive: true, force: true });
    },
    async interrupt() {
      await shutDown(server);
      return async () => {
        server = launch();
        await waitForConnection(url, 20_000);
      };
    },
  };
}

/**
 * An embedded Postgres (PGlite) behind a socket server, for machines without PostgreSQL.
 * `dataDir` persists it; without one it lives in memory.
 */
export async function startPglite(dataDir?: string, port?: number): Promise<RunningPostgres> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const listenPort = port ?? (await freePort());
  const server = new PGLiteSocketServer({ db, port: listenPort, host: "127.0.0.1", maxConnections: 100 });
  await server.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${listenPort}/postgres`,
    kind: "pglite",
    pid: null,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

/**
 * A real PostgreSQL server when one is installed, PGlite otherwise.
 * `LOCAL_POSTGRES=pglite` picks PGlite even where a server is installed.
 */
export async function startLocalPostgres(options: { pgliteDir?: string } = {}): Promise<RunningPostgres> {
  const binaries = process.env.LOCAL_POSTGRES === "pglite" ? null : findPostgresBinaries();
  return binaries ? startPostgresServer(binaries) : startPglite(options.pgliteDir);
}
