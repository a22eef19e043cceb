import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../scripts/local-stack/migrate";
import { type RunningPostgres, startLocalPostgres } from "../scripts/local-stack/postgres";
import { mintCast } from "./cast";
import {
  eventually,
  expectCrossOrigin,
  expectError,
  expectTrpcError,
  getManual,
  install,
  pluginMetadata,
  present,
  publish,
  sleep,
  trpc,
  upload,
} from "./helpers";
import { installActive, publishServerPlugin } from "./server-plugins";
import { type Stack, startStack } from "./stack";

/** A server-side plugin's whole handler. */
const PONG = `export default { async fetch() { return new Response("pong"); } };\n`;

/**
 * A PostgreSQL server of this file's own, frozen (SIGSTOP) and then stopped under a running
 * stack. The server every other test file shares is never touched. Timeouts are the defaults:
 * connect 3 s, statement 5 s, the plugins worker's deadline 6 s, the gateway's 8 s.
 */

/** The postmaster and every process it forked (its backends), read from /proc. */
function serverProcesses(postmaster: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // the process ended while we listed
    }
    // After the parenthesised command name: state, then the parent's pid.
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree = [postmaster];
  for (let index = 0; index < tree.length; index++) tree.push(...(children.get(tree[index] ?? -1) ?? []));
  return tree;
}

/** A backend that was exiting as the tree was read is gone by the time it is signalled. */
function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/** Answers arrive within this long of the request, whatever the database does. */
const FEW_SECONDS = 5_000;

/** Sends a request and reports its answer with how long it took; the body read as text. */
async function timed(send: () => Promise<Response>): Promise<{ response: Response; body: string; ms: number }> {
  const started = Date.now();
  const response = await send();
  const body = await response.clone().text();
  return { response, body, ms: Date.now() - started };
}

function expectUncacheableOutage(response: Response) {
  expect(response.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
  expect(response.headers.get("cache-control")).toBe("no-store");
}

describe("a stack whose PostgreSQL server freezes, resumes, then stops", () => {
  let server: RunningPostgres;
  let stack: Stack;
  let admin: string;
  let frozen: number[] = [];
  let stopped = false;

  const freeze = () => {
    frozen = serverProcesses(present(server.pid, "the server's pid"));
    for (const pid of frozen) signal(pid, "SIGSTOP");
  };
  const resume = () => {
    for (const pid of frozen) signal(pid, "SIGCONT");
    frozen = [];
  };
  const query = async <Row extends pg.QueryResultRow>(text: string): Promise<Row[]> => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      return (await client.query<Row>(text)).rows;
    } finally {
      await client.end();
    }
  };

  /** Every kind of answer that needed the database before read models, sent at once. */
  function databaseBackedRequests() {
    const bearer = { authorization: `Bearer ${admin}` };
    return {
      floating: timed(() => getManual(`${stack.url}/plugins/bundles/held@latest`)),
      floatingPath: timed(() => getManual(`${stack.url}/plugins/bundles/held@%5E1.0.0/bundle.js`)),
      apiBundle: timed(() => getManual(`${stack.url}/api/plugins/held/bundle`)),
      manifest: timed(() => fetch(`${stack.url}/api/tenants/acme/plugins/manifest`, { headers: bearer })),
      importmap: timed(() => fetch(`${stack.url}/api/tenants/acme/plugins/importmap`, { headers: bearer })),
      publish: timed(() => upload(stack, { token: admin, metadata: pluginMetadata({ id: "during-outage" }) })),
      install: timed(() => install(stack, admin, "acme", { pluginId: "held", instanceId: "during-outage" })),
      status: timed(() =>
        fetch(`${stack.url}/api/plugins/status/held`, { headers: { ...bearer, "x-tenant-id": "acme" } }),
      ),
      resolve: timed(() =>
        fetch(`${stack.url}/trpc/plugins.resolve?input=${encodeURIComponent(JSON.stringify({ pluginId: "held" }))}`),
      ),
      // httpBatchStreamLink's request: its headers (200) leave before the calls run.
      streamed: timed(() =>
        fetch(
          `${stack.url}/trpc/plugins.resolve,plugins.get?batch=1&input=${encodeURIComponent(
            JSON.stringify({ 0: { pluginId: "held" }, 1: { pluginId: "held" } }),
          )}`,
          { headers: { ...bearer, "trpc-accept": "application/jsonl" } },
        ),
      ),
      health: timed(() => fetch(`${stack.url}/health`)),
      pluginCall: timed(() =>
        fetch(`${stack.url}/api/plugins/instances/engine-held/ping`, { headers: { ...bearer, "x-tenant-id": "acme" } }),
      ),
    };
  }

  async function expectOutageEverywhere() {
    const requests = databaseBackedRequests();
    // Boot reads are answered from read models (R2), which the database's state does not reach.
    for (const name of ["floating", "floatingPath", "apiBundle"] as const) {
      const { response, ms } = await requests[name];
      expect(ms, name).toBeLessThan(FEW_SECONDS);
      expectCrossOrigin(response);
      expect(response.status, name).toBe(302);
    }
    for (const name of ["manifest", "importmap"] as const) {
      const { response, ms, body } = await requests[name];
      expect(ms, name).toBeLessThan(FEW_SECONDS);
      expect(response.status, `${name}: ${body}`).toBe(200);
    }
    // A call of a server-side plugin reads its instance from a read model too.
    const call = await requests.pluginCall;
    expect(call.ms).toBeLessThan(FEW_SECONDS);
    expect(call.response.status, call.body).toBe(200);
    expect(call.body).toBe("pong");
    for (const name of ["publish", "install", "status"] as const) {
      const { response, ms } = await requests[name];
      expect(ms, name).toBeLessThan(FEW_SECONDS);
      expectUncacheableOutage(response);
      expect(await expectError(response, 503, "SERVICE_UNAVAILABLE"), name).toMatch(/database/i);
    }
    const resolve = await requests.resolve;
    expect(resolve.ms).toBeLessThan(FEW_SECONDS);
    expect(resolve.response.status, resolve.body).toBe(200);
    // A streamed batch has sent 200 before its calls fail: each call's 503 is in the stream,
    // and the answer as a whole is kept by no cache.
    const streamed = await requests.streamed;
    expect(streamed.ms).toBeLessThan(FEW_SECONDS);
    expect(streamed.response.status).toBe(200);
    expect(streamed.response.headers.get("cache-control")).toBe("no-store");
    // plugins.resolve answers from the package document; plugins.get needs the database.
    expect(streamed.body.match(/"code":"SERVICE_UNAVAILABLE","httpStatus":503/g)).toHaveLength(1);
    const health = await requests.health;
    expect(health.ms).toBeLessThan(FEW_SECONDS);
    expect(health.response.status).toBe(503);
    expect(health.response.headers.get("cache-control")).toBe("no-store");
    expect(JSON.parse(health.body)).toMatchObject({
      parts: { api: "ok", plugins: "ok", postgres: "failing", r2: "ok" },
      failing: ["postgres"],
    });

    // Every other procedure the same way, as a frontend's client sees it.
    const client = trpc(stack, admin);
    const started = Date.now();
    await Promise.all([
      expectTrpcError(client.plugins.search.query({}), "SERVICE_UNAVAILABLE", 503),
      expectTrpcError(client.plugins.get.query({ pluginId: "held" }), "SERVICE_UNAVAILABLE", 503),
      expectTrpcError(client.installations.list.query({ tenantId: "acme" }), "SERVICE_UNAVAILABLE", 503),
      expectTrpcError(client.audit.list.query({}), "SERVICE_UNAVAILABLE", 503),
      expectTrpcError(
        client.tokens.create.mutate({ name: "ci", plugins: ["held"], actions: ["publish"] }),
        "SERVICE_UNAVAILABLE",
        503,
      ),
      expectTrpcError(
        client.tags.set.mutate({ pluginId: "held", tag: "beta", version: "1.0.0" }),
        "SERVICE_UNAVAILABLE",
        503,
      ),
    ]);
    expect(Date.now() - started).toBeLessThan(FEW_SECONDS);
  }

  beforeAll(async () => {
    server = await startLocalPostgres();
    if (server.kind !== "postgres-server") return;
    await applyMigrations(server.url);
    // The production connect timeout, which the "within a few seconds" answers depend on.
    stack = await startStack({ databaseUrl: server.url, pluginsBindings: { DATABASE_CONNECT_TIMEOUT_MS: "3000" } });
    admin = (await mintCast(stack)).root;
    await publish(stack, admin, pluginMetadata({ id: "held" }));
    const installed = await install(stack, admin, "acme", { pluginId: "held", activate: true });
    expect(installed.status, await installed.clone().text()).toBe(201);
    await publishServerPlugin(stack, admin, { id: "engine-held", server: PONG });
    await installActive(stack, admin, "acme", "engine-held", "engine-held");
  });

  afterAll(async () => {
    if (frozen.length > 0) resume();
    await stack?.stop();
    if (!stopped) await server?.stop();
  });

  it("answers an exact URL of a version not published yet 404, cacheable for 10 s with no stale copy", async () => {
    expect(server.kind, "these tests need a real PostgreSQL server").toBe("postgres-server");
    for (const url of [
      `${stack.url}/plugins/bundles/held/v1.1.0/bundle.js`,
      `${stack.url}/plugins/bundles/not-yet@latest`,
    ]) {
      const response = await getManual(url);
      expect(response.headers.get("cache-control")).toBe("public, max-age=10");
      expectCrossOrigin(response);
      await expectError(response, 404, "NOT_FOUND");
    }
    // A redirect keeps its minute.
    const redirect = await getManual(`${stack.url}/plugins/bundles/held@latest`);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("cache-control")).toBe("public, max-age=60, stale-while-revalidate=300");
  });

  it("answers a publish that was waiting inside its transaction when the server froze 503 at the deadline, and commits none of it after the server resumes", async () => {
    // Hold the plugin's row so the publish stops inside its transaction, before its COMMIT.
    const holder = new pg.Client({ connectionString: server.url });
    // Should this test fail, the server's shutdown reaches the client as an error event.
    holder.on("error", () => {});
    await holder.connect();
    await holder.query("begin");
    await holder.query("select id from plugins where id = 'held' for update");
    const started = Date.now();
    const waiting = timed(() =>
      upload(stack, { token: admin, metadata: pluginMetadata({ id: "held", version: "2.0.0" }), file: "v2" }),
    );
    await eventually("the publish to wait for the row lock", async () => {
      const rows = await query<{ count: string }>(
        "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()",
      );
      return rows[0]?.count === "1" ? true : undefined;
    });
    freeze();

    const { response } = await waiting;
    expect(Date.now() - started).toBeLessThan(8_000);
    expectUncacheableOutage(response);
    expect(await expectError(response, 503, "SERVICE_UNAVAILABLE")).toMatch(/database/i);

    // The lock is given up while the server sleeps: on waking, the publish's backend gets it first.
    const released = holder.query("rollback");
    resume();
    await released;
    await holder.end();
    // Past the deadlines and the server's idle-in-transaction timeout (6 s), nothing of it is there.
    await eventually(
      "the publish's session to end",
      async () => {
        const rows = await query<{ count: string }>(
          "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'",
        );
        return rows[0]?.count === "0" ? true : undefined;
      },
      10_000,
    );
    expect(await query("select version from plugin_versions where plugin_id = 'held' order by version")).toEqual([
      { version: "1.0.0" },
    ]);
  });

  it("answers every route and procedure that needs the frozen database 503 with Retry-After within a few seconds, never cacheable, and boot reads from their read models", async () => {
    freeze();
    await expectOutageEverywhere();
  });

  it("has committed nothing of what was sent while frozen once the server resumes, and works again", async () => {
    resume();
    await sleep(1_000);
    expect(await query("select plugin_id, version from plugin_versions order by plugin_id")).toEqual([
      { plugin_id: "engine-held", version: "1.0.0" },
      { plugin_id: "held", version: "1.0.0" },
    ]);
    expect(await query("select instance_id from installations order by instance_id")).toEqual([
      { instance_id: "engine-held" },
      { instance_id: "held" },
    ]);

    const requests = databaseBackedRequests();
    expect((await requests.floating).response.status).toBe(302);
    expect((await requests.apiBundle).response.status).toBe(302);
    expect((await requests.manifest).response.status).toBe(200);
    expect((await requests.resolve).response.status).toBe(200);
    const streamed = await requests.streamed;
    expect(streamed.body).not.toMatch(/SERVICE_UNAVAILABLE/);
    expect(streamed.response.headers.get("cache-control")).toBe("no-store");
    expect((await requests.health).response.status).toBe(200);
    const published = await requests.publish;
    expect(published.response.status, published.body).toBe(201);
    const installed = await requests.install;
    expect(installed.response.status, installed.body).toBe(201);
  });

  it("answers everything that needs the stopped database 503 with Retry-After within a few seconds, and boot reads from their read models", async () => {
    await server.stop();
    stopped = true;
    await expectOutageEverywhere();
  });
});
