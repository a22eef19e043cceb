import { Client, DatabaseError, neonConfig, Pool } from "@neondatabase/serverless";
import * as schema from "@plugins/schema/tables";
import { DrizzleQueryError } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";

/** Where the database is, and the bounds on one request's use of it (DATABASE_* in the README's configuration). */
export interface DatabaseConfig {
  /** Postgres connection string (Neon in production). */
  url: string;
  /** `host:port` of a WebSocket-to-TCP bridge, set only when running against a local Postgres. */
  localProxy: string | undefined;
  timeouts: {
    /** Opening a connection: the WebSocket and the Postgres session behind it. */
    connectMs: number;
    /** Server side, per statement (`statement_timeout`); 0 sends none. A frozen server's timers stop, so this alone bounds nothing. */
    statementMs: number;
    /** From the start of the request: no statement is sent after it, and open connections are closed at it. Below the gateway's PLUGINS_TIMEOUT_MS. */
    deadlineMs: number;
  };
}

/** Seconds a client should wait before retrying a request the database could not serve. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The database could not serve this request: unreachable, too slow, or past the request's
 * deadline. Answered `503 SERVICE_UNAVAILABLE` with Retry-After, never 500.
 */
export class DatabaseUnavailable extends Error {
  override name = "DatabaseUnavailable";
}

/**
 * Opens a database for one request (`requestStartedAt` starts its deadline, when it is opened
 * later than the request began). A Pool must not outlive its request in a Worker
 * (the next request would hang on the previous request's socket), so the caller closes
 * it with `ctx.waitUntil(close())`.
 *
 * Every use is bounded, because the driver's own options do not bound a frozen server
 * (measured with SIGSTOP through the local bridge): a connection that gets no answer
 * waits forever without `connectionTimeoutMillis`; `statement_timeout` runs on the
 * server, whose timers stop with it; `query_timeout` fails the query but leaves the
 * statements queued behind it on the socket, to be sent (a COMMIT among them) once the
 * server wakes. So at the deadline the request's connections are closed, and no
 * statement is sent after it: a transaction still open then never commits, the server
 * rolls it back when it reads the closed socket (or, if it never does, after
 * `idle_in_transaction_session_timeout`).
 */
export function openDatabase({ url, localProxy, timeouts }: DatabaseConfig, requestStartedAt = Date.now()) {
  if (localProxy) useLocalProxy(localProxy);
  const pool = new RequestPool({
    connectionString: url,
    connectionTimeoutMillis: timeouts.connectMs,
    // Startup parameters: no round trip. A pooler that refuses unknown ones needs DATABASE_STATEMENT_TIMEOUT_MS=0.
    ...(timeouts.statementMs > 0
      ? { statement_timeout: timeouts.statementMs, idle_in_transaction_session_timeout: timeouts.deadlineMs }
      : {}),
  });
  const clients = new Set<Client>();
  // An idle client that errors (server restart, proxy gone) must not become an uncaught exception.
  pool.on("error", () => {});
  pool.on("connect", (client: Client) => {
    clients.add(client);
    // Nor may a checked-out one: a FATAL (shutdown, idle-in-transaction timeout) arrives as an event.
    client.on("error", () => {});
  });

  const deadlineAt = requestStartedAt + timeouts.deadlineMs;
  let expired = false;
  const endConnections = () => {
    for (const client of clients) client.end().catch(() => {});
  };
  const deadline = setTimeout(() => {
    expired = true;
    endConnections();
  }, deadlineAt - Date.now());

  // Drizzle hands every statement (BEGIN and COMMIT too) to its logger just before it
  // reaches the driver: the one place that can refuse to send it.
  const statementGate = {
    logQuery() {
      if (expired || Date.now() >= deadlineAt) {
        throw new DatabaseUnavailable(`The database did not answer within this request's ${timeouts.deadlineMs} ms`);
      }
    },
  };

  return {
    db: drizzle({ client: pool, schema, logger: statementGate }),
    /** Ends the pool; a connection that does not close in time (a frozen server) is dropped. */
    async close() {
      clearTimeout(deadline);
      let grace: ReturnType<typeof setTimeout> | null = null;
      const ended = pool.end().catch(() => {});
      await Promise.race([
        ended,
        new Promise<void>((resolve) => {
          grace = setTimeout(() => {
            endConnections();
            resolve();
          }, CLOSE_GRACE_MS);
        }),
      ]);
      if (grace !== null) clearTimeout(grace);
    },
  };
}

export type Database = ReturnType<typeof openDatabase>["db"];

/**
 * The request's database, opened when first used: a read answered from a read model never
 * builds a pool or drizzle. `close()` ends it if it was opened.
 */
export function onDemandDatabase(config: DatabaseConfig) {
  const startedAt = Date.now();
  let database: ReturnType<typeof openDatabase> | null = null;
  return {
    get db(): Database {
      database ??= openDatabase(config, startedAt);
      return database.db;
    },
    close: () => database?.close() ?? Promise.resolve(),
  };
}

/** The handle a `db.transaction` callback receives. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

/** How long `close()` waits for the pool to end politely before dropping its connections. */
const CLOSE_GRACE_MS = 1000;

/**
 * Why a failed call failed, if the database was the cause: walks the error's causes for a
 * DatabaseUnavailable, a server error that means unavailability, or else a statement the
 * driver could not get answered. Null for everything else (a bug, a constraint), which
 * stays a 500.
 */
export function databaseOutage(error: unknown): DatabaseUnavailable | null {
  const causes: Error[] = [];
  for (let cause = error; cause instanceof Error && causes.length < 10; cause = cause.cause) causes.push(cause);
  for (const cause of causes) {
    if (cause instanceof DatabaseUnavailable) return cause;
    if (cause instanceof DatabaseError) return outageOfServerError(cause);
  }
  const query = causes.find((cause) => cause instanceof DrizzleQueryError);
  return query && transportFailure(query.cause)
    ? new DatabaseUnavailable("The connection to the database was lost or timed out", { cause: query })
    : null;
}

/** SQLSTATE classes and codes that say "not now" rather than "not this statement". */
function outageOfServerError(error: DatabaseError): DatabaseUnavailable | null {
  const code = error.code ?? "";
  const reason =
    code === "57014"
      ? "a statement ran past its statement_timeout"
      : code === "25P03"
        ? "a transaction stayed idle too long"
        : code === "55P03"
          ? "a lock could not be taken in time"
          : code.startsWith("57P")
            ? "the database is shutting down or starting up"
            : code.startsWith("08")
              ? "the connection to the database failed"
              : code.startsWith("53")
                ? "the database is out of connections or resources"
                : null;
  return reason ? new DatabaseUnavailable(`The database is unavailable: ${reason}`, { cause: error }) : null;
}

/**
 * What the driver throws when no answer came back: a plain Error (connection terminated,
 * not queryable, pool ended). The server's own refusals are DatabaseErrors (classified
 * above), and a value the driver could not serialise is a TypeError, a bug.
 */
function transportFailure(cause: unknown): boolean {
  return cause instanceof Error && !(cause instanceof TypeError);
}

/**
 * The driver's client, whose failures to connect (refused, closed, timed out, or refused
 * by the server: too many connections, starting up, bad credentials) are a
 * DatabaseUnavailable from the start, so they are classified where they happen.
 */
class RequestClient extends Client {
  override connect(): Promise<void>;
  override connect(callback: (err?: Error) => void): void;
  override connect(callback?: (err?: Error) => void): Promise<void> | undefined {
    const started = Date.now();
    const timeoutMs = (this.config as { connectionTimeoutMillis?: number } | undefined)?.connectionTimeoutMillis ?? 0;
    const unavailable = (error: unknown) => {
      const timedOut = timeoutMs > 0 && Date.now() - started >= timeoutMs;
      return new DatabaseUnavailable(
        timedOut
          ? `The database did not accept a connection within ${timeoutMs} ms`
          : "The database refused or closed the connection",
        { cause: error },
      );
    };
    if (!callback) {
      return super.connect().catch((error: unknown) => {
        throw unavailable(error);
      });
    }
    super.connect((error) => callback(error && unavailable(error)));
    return undefined;
  }
}

class RequestPool extends Pool {
  override Client = RequestClient;
}

/** A plain Postgres behind our WebSocket bridge speaks neither TLS nor Neon's pipelining. */
function useLocalProxy(proxy: string) {
  neonConfig.wsProxy = (host, port) => `${proxy}/v2?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}
