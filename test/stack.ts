import { randomUUID } from "node:crypto";
import { Miniflare } from "miniflare";
import pg from "pg";
import { inject } from "vitest";
import { type DevTokenClaims, type DevTokenOptions, signDevToken } from "../scripts/local-stack/dev-token";
import { type PlatformOptions, platformWorkers } from "../scripts/local-stack/platform-workers";
import { TEMPLATE_DATABASE, withDatabase } from "./global-setup";

export interface StackOptions {
  /** Replaces the plugins worker's DATABASE_URL (to simulate an unreachable database). */
  databaseUrl?: string;
  apiBindings?: Record<string, string>;
  /** Requests per period of the API worker's rate limits (write, read: 60 s; bundle: 10 s). */
  rateLimits?: PlatformOptions["rateLimits"];
  pluginsBindings?: Record<string, string>;
}

/**
 * Tables the stack writes in the background, at a moment no test picks: the gateway sends the
 * downloads it counted (download_counts) on a timer, up to 10 s after a GET of an entry file
 * (workers/api/src/cdn/download-counter.ts), so in a suite that fetched an entry file that write
 * can land between any two snapshots. Snapshots leave these tables out unless told otherwise
 * (`except: []`): a refusal under test here is never a download, and downloads.test.ts, on a
 * stack of its own, proves what is and is not counted.
 */
export const BACKGROUND_TABLES: readonly string[] = ["download_counts"];

export interface Stack {
  /** Origin of the API worker, served over real HTTP. */
  url: string;
  mf: Miniflare;
  /** A direct connection to this stack's database, for asserting what was stored. */
  db: pg.Client;
  bucket: Awaited<ReturnType<Miniflare["getR2Bucket"]>>;
  token(claims: DevTokenClaims, options?: DevTokenOptions): Promise<string>;
  /** Every table of the database's public schema, read from the database once per stack. */
  tables(): Promise<string[]>;
  /**
   * Row counts of every table and the number of R2 objects: equal before and after a refusal.
   * `except` (BACKGROUND_TABLES unless given) leaves out tables that work in the background
   * may write between two snapshots.
   */
  snapshot(options?: { except?: readonly string[] }): Promise<Record<string, number>>;
  /** The JSON lines both workers logged so far (the platform's `createLogger` lines), oldest first. */
  logs(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/**
 * Both workers in workerd (the bundles `wrangler deploy` would upload), joined by the real
 * service binding, with miniflare's R2 and Cache API, against a database of their own.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const database = `plugins_${randomUUID().replaceAll("-", "")}`;
  const serverUrl = inject("postgresUrl");
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${database} template ${TEMPLATE_DATABASE}`);
  await admin.end();
  const databaseUrl = withDatabase(serverUrl, database);

  const logged: string[] = [];
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    // Kept for `logs()` rather than printed: the suites assert what the workers log.
    handleStructuredLogs: ({ message }: { message: string }) => {
      if (logged.length === MAX_LOG_LINES) logged.shift();
      logged.push(message);
    },
    workers: platformWorkers({
      bundles: { api: inject("apiBundle"), plugins: inject("pluginsBundle"), webApp: inject("webApp") },
      databaseUrl: options.databaseUrl ?? databaseUrl,
      bridgeAddress: inject("bridgeAddress"),
      apiBindings: options.apiBindings,
      // A loaded two-core machine running two stacks at once has been seen needing more than the
      // production default of 3 s to open a connection through the bridge; still under the
      // request's 6 s deadline. The outage suite sets the production value, whose timing it tests.
      pluginsBindings: { DATABASE_CONNECT_TIMEOUT_MS: "5000", ...options.pluginsBindings },
      rateLimits: options.rateLimits,
    }),
  });
  const url = (await mf.ready).origin;
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const bucket = await mf.getR2Bucket("BUNDLES", "plugins");

  // Read from the database rather than listed here, so that a table a migration adds is
  // counted without anyone remembering to add it. Drizzle keeps its migration journal in a
  // schema of its own ("drizzle"), outside this list.
  let tables: Promise<string[]> | undefined;
  const tablesOf = () => {
    tables ??= db
      .query<{ name: string }>(
        `select table_name as name from information_schema.tables
          where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
      )
      .then(({ rows }) => rows.map((row) => row.name));
    return tables;
  };

  return {
    url,
    mf,
    db,
    bucket,
    token: (claims, tokenOptions) => signDevToken(claims, tokenOptions),
    tables: tablesOf,
    async snapshot({ except = BACKGROUND_TABLES } = {}) {
      const { rows } = await db.query<{ table: string; count: string }>(
        (await tablesOf())
          .filter((table) => !except.includes(table))
          .map((table) => `select ${db.escapeLiteral(table)} as table, count(*) from ${db.escapeIdentifier(table)}`)
          .join(" union all "),
      );
      const counts = Object.fromEntries(rows.map((row) => [row.table, Number(row.count)]));
      return { ...counts, r2Objects: (await listObjects(bucket)).length };
    },
    logs: () => logged.map(parsedLogLine).filter((line) => line !== null),
    async stop() {
      await db.end();
      await mf.dispose();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${database} with (force)`);
      await cleanup.end();
    },
  };
}

/** Lines a stack keeps; the oldest go first. */
const MAX_LOG_LINES = 10_000;

function parsedLogLine(line: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Every object's key and ETag (up to 1,000). Read through Miniflare's proxy, whose synchronous
 * property reads now and then fail an internal assertion when the machine is loaded (seen in
 * CI: `SynchronousFetcher.fetch … false == true`); such a read is tried again, twice at most.
 */
export async function listObjects(bucket: Stack["bucket"]): Promise<{ key: string; etag: string }[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const listed = await bucket.list({ limit: 1000 });
      return listed.objects.map((object) => ({ key: object.key, etag: object.etag }));
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}
