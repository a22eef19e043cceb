import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import { expectError, expectTrpcError, pluginMetadata, present, publish, trpc, trpcError, UUID } from "./helpers";
import { type Stack, startStack } from "./stack";

/**
 * An instance's lifecycle (installed → active ⇄ inactive → uninstalled), through the real
 * API worker, service binding, plugins worker and Postgres: over tRPC (`installations.*`)
 * and over the REST calls of the older service (`start`, `stop`, `status`).
 */

let stack: Stack;

type Client = ReturnType<typeof trpc>;
type Instance = Awaited<ReturnType<Client["installations"]["get"]["query"]>>;
type Action = "activate" | "deactivate" | "uninstall";

let cast: Cast;
/** Editors and viewers of a tenant of their own, one tenant per group of tests. */
const tokens = {
  hooli: "",
  initech: "",
  umbrella: "",
  stark: "",
  starkViewer: "",
  wayne: "",
  wayneViewer: "",
  oscorp: "",
  oscorpViewer: "",
};

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  tokens.hooli = await stack.token({ sub: "gavin", role: "editor", tenant: "hooli" });
  tokens.initech = await stack.token({ sub: "peter", role: "editor", tenant: "initech" });
  tokens.umbrella = await stack.token({ sub: "wesker", role: "editor", tenant: "umbrella" });
  tokens.stark = await stack.token({ sub: "tony", role: "editor", tenant: "stark" });
  tokens.starkViewer = await stack.token({ sub: "pepper", role: "viewer", tenant: "stark" });
  tokens.wayne = await stack.token({ sub: "bruce", role: "editor", tenant: "wayne" });
  tokens.wayneViewer = await stack.token({ sub: "alfred", role: "viewer", tenant: "wayne" });
  tokens.oscorp = await stack.token({ sub: "norman", role: "editor", tenant: "oscorp" });
  tokens.oscorpViewer = await stack.token({ sub: "otto", role: "viewer", tenant: "oscorp" });
  for (const version of ["1.0.0", "1.1.0", "2.0.0"]) {
    await publish(stack, cast.root, pluginMetadata({ id: "dropbox", name: "Dropbox", version }));
  }
});
afterAll(() => stack?.stop());

// ---------------------------------------------------------------------------------------------
// helpers

function api(token?: string): Client {
  return trpc(stack, token);
}

/** Installs `dropbox` (latest unless told) for the token's tenant and insists on success. */
function installDropbox(
  token: string,
  tenantId: string,
  instanceId: string,
  extra: { version?: string; activate?: boolean } = {},
): Promise<Instance> {
  return api(token).installations.install.mutate({ tenantId, pluginId: "dropbox", instanceId, ...extra });
}

function act(
  token: string | undefined,
  action: Action,
  input: { tenantId: string; instanceId: string; revision?: number },
) {
  return api(token).installations[action].mutate(input);
}

interface StoredRow {
  id: string;
  status: string;
  revision: number;
  version: string;
  updated_at: Date;
  uninstalled_at: Date | null;
}

/** Every row of an instance id, history included, oldest first. */
async function rowsOf(tenantId: string, instanceId: string): Promise<StoredRow[]> {
  const { rows } = await stack.db.query<StoredRow>(
    `select id, status, revision, version, updated_at, uninstalled_at from installations
     where tenant_id = $1 and instance_id = $2 order by installed_at, id`,
    [tenantId, instanceId],
  );
  return rows;
}

interface AuditRow {
  action: string;
  actor_id: string;
  actor_role: string;
  tenant_id: string | null;
  resource_type: string;
  details: Record<string, unknown>;
}

/** The audit trail of one installation row, in the order it was written. */
async function auditOf(resourceId: string): Promise<AuditRow[]> {
  const { rows } = await stack.db.query<AuditRow>(
    `select action, actor_id, actor_role, tenant_id, resource_type, details from audit_log
     where resource_id = $1 order by id`,
    [resourceId],
  );
  return rows;
}

async function manifestOf(tenantId: string) {
  const { rows } = await stack.db.query<{
    etag: string;
    generated_at: Date;
    document: { plugins: { instanceId: string }[] };
  }>("select etag, generated_at, document from tenant_manifests where tenant_id = $1", [tenantId]);
  return rows[0] ?? null;
}

/** Everything a refused call must leave as it was: row counts, the instance's rows, the tenant's manifest. */
async function state(tenantId: string, instanceIds: string[]) {
  return {
    snapshot: await stack.snapshot(),
    rows: await Promise.all(instanceIds.map((instanceId) => rowsOf(tenantId, instanceId))),
    manifest: await manifestOf(tenantId),
  };
}

async function expectNothingChanged(tenantId: string, instanceIds: string[], refusal: () => Promise<unknown>) {
  const before = await state(tenantId, instanceIds);
  await refusal();
  expect(await state(tenantId, instanceIds)).toEqual(before);
}

/** Drives a fresh instance of `dropbox` to `status` with real transitions. */
async function instanceIn(
  token: string,
  tenantId: string,
  instanceId: string,
  status: "installed" | "active" | "inactive",
): Promise<Instance> {
  let instance = await installDropbox(token, tenantId, instanceId);
  if (status !== "installed") instance = await act(token, "activate", { tenantId, instanceId });
  if (status === "inactive") instance = await act(token, "deactivate", { tenantId, instanceId });
  expect(instance.status).toBe(status);
  return instance;
}

/** A timestamp read from Postgres and one from JSON: equal to the millisecond (microseconds may round either way). */
function expectSameInstant(stored: Date | null | undefined, answered: string | null | undefined) {
  const a = present(stored, "stored timestamp").getTime();
  const b = Date.parse(present(answered, "answered timestamp"));
  expect(Math.abs(a - b)).toBeLessThanOrEqual(1);
}

const CONFLICT_REASON = /changed meanwhile \(revision \d+, not \d+\)|is already active|is already inactive/;

// ---------------------------------------------------------------------------------------------

describe("the lifecycle over tRPC", () => {
  const tenantId = "acme";

  it("walks installed → active → inactive → active → inactive → uninstalled, one revision and one audit entry a step", async () => {
    const instanceId = "dropbox-walk";
    const installed = await installDropbox(cast.alice, tenantId, instanceId);
    expect(installed).toEqual({
      id: expect.stringMatching(UUID),
      tenantId,
      instanceId,
      pluginId: "dropbox",
      version: "2.0.0",
      previousVersion: null,
      updatePolicy: "pinned",
      status: "installed",
      revision: 1,
      config: {},
      secretsSet: [],
      heldUpdate: null,
      installedBy: "alice",
      installedAt: expect.any(String),
      updatedAt: expect.any(String),
      uninstalledAt: null,
    });

    const steps: Array<[Action, string, string]> = [
      ["activate", "installed", "active"],
      ["deactivate", "active", "inactive"],
      ["activate", "inactive", "active"],
      ["deactivate", "active", "inactive"],
      ["uninstall", "inactive", "uninstalled"],
    ];
    let previous = installed;
    for (const [index, [action, from, to]] of steps.entries()) {
      const moved = await act(cast.alice, action, { tenantId, instanceId });
      expect(moved, `${action} from ${from}`).toMatchObject({ id: installed.id, status: to, revision: index + 2 });
      expect(moved.installedAt).toBe(installed.installedAt);
      expect(Date.parse(moved.updatedAt)).toBeGreaterThanOrEqual(Date.parse(previous.updatedAt));
      if (to !== "uninstalled") {
        expect(await api(cast.alice).installations.get.query({ tenantId, instanceId })).toEqual(moved);
        expect(moved.uninstalledAt).toBeNull();
      } else {
        expect(moved.uninstalledAt).toEqual(expect.any(String));
      }
      previous = moved;
    }

    const [row] = await rowsOf(tenantId, instanceId);
    expect(row).toMatchObject({ id: installed.id, status: "uninstalled", revision: 6 });
    expect(row?.uninstalled_at).toBeInstanceOf(Date);

    const trail = await auditOf(installed.id);
    expect(trail.map((entry) => entry.action)).toEqual([
      "installation.install",
      "installation.activate",
      "installation.deactivate",
      "installation.activate",
      "installation.deactivate",
      "installation.uninstall",
    ]);
    expect(trail.slice(1)).toEqual(
      steps.map(([action, from, to], index) => ({
        action: `installation.${action}`,
        actor_id: "alice",
        actor_role: "editor",
        tenant_id: tenantId,
        resource_type: "installation",
        details: { instanceId, from, to, revision: index + 2 },
      })),
    );
  });

  it("uninstalls an instance that was never activated", async () => {
    const instanceId = "dropbox-unused";
    const installed = await installDropbox(cast.alice, tenantId, instanceId);
    const gone = await act(cast.alice, "uninstall", { tenantId, instanceId });
    expect(gone).toMatchObject({ id: installed.id, status: "uninstalled", revision: 2 });
    expect(gone.uninstalledAt).toEqual(expect.any(String));
    const trail = await auditOf(installed.id);
    expect(trail.map((entry) => [entry.action, entry.tenant_id, entry.details])).toEqual([
      ["installation.install", tenantId, expect.objectContaining({ instanceId, status: "installed" })],
      ["installation.uninstall", tenantId, { instanceId, from: "installed", to: "uninstalled", revision: 2 }],
    ]);
  });

  it("starts an instance installed with activate: true as active, at revision 1", async () => {
    const instanceId = "dropbox-eager";
    const instance = await installDropbox(cast.alice, tenantId, instanceId, { activate: true });
    expect(instance).toMatchObject({ status: "active", revision: 1, uninstalledAt: null });
    expect(await auditOf(instance.id)).toEqual([
      expect.objectContaining({
        action: "installation.install",
        tenant_id: tenantId,
        details: expect.objectContaining({ instanceId, status: "active" }),
      }),
    ]);
    expect((await manifestOf(tenantId))?.document.plugins.map((plugin) => plugin.instanceId)).toContain(instanceId);
    // Active from the start: it can be stopped right away, and not started again.
    await expectTrpcError(act(cast.alice, "activate", { tenantId, instanceId }), "CONFLICT", 409);
    const stopped = await act(cast.alice, "deactivate", { tenantId, instanceId });
    expect(stopped).toMatchObject({ status: "inactive", revision: 2 });
    expect((await manifestOf(tenantId))?.document.plugins.map((plugin) => plugin.instanceId)).not.toContain(instanceId);
  });

  it.each([
    ["activate", "active", "illegal-1", /^Instance 'illegal-1' is already active$/],
    ["deactivate", "installed", "illegal-2", /^Instance 'illegal-2' was never activated/],
    ["deactivate", "inactive", "illegal-3", /^Instance 'illegal-3' is already inactive$/],
    ["uninstall", "active", "illegal-4", /^Instance 'illegal-4' is active; deactivate it before uninstalling$/],
  ] as const)(
    "refuses to %s an instance that is %s with CONFLICT, changing nothing",
    async (action, status, instanceId, reason) => {
      const before = await instanceIn(cast.alice, tenantId, instanceId, status);
      const trail = await auditOf(before.id);
      await expectNothingChanged(tenantId, [instanceId], async () => {
        const message = await expectTrpcError(act(cast.alice, action, { tenantId, instanceId }), "CONFLICT", 409);
        expect(message).toMatch(reason);
      });
      expect(await api(cast.alice).installations.get.query({ tenantId, instanceId })).toEqual(before);
      expect(await auditOf(before.id)).toEqual(trail);
    },
  );
});

describe("uninstalled instances", () => {
  const tenantId = "hooli";

  it("are gone for get and every transition (NOT_FOUND), and hidden from list unless includeUninstalled", async () => {
    const instanceId = "dropbox-gone";
    const installed = await installDropbox(tokens.hooli, tenantId, instanceId);
    const kept = await installDropbox(tokens.hooli, tenantId, "dropbox-kept");
    await act(tokens.hooli, "uninstall", { tenantId, instanceId });

    const client = api(tokens.hooli);
    expect(await expectTrpcError(client.installations.get.query({ tenantId, instanceId }), "NOT_FOUND", 404)).toBe(
      `No instance '${instanceId}'`,
    );
    for (const action of ["activate", "deactivate", "uninstall"] as const) {
      await expectNothingChanged(tenantId, [instanceId], () =>
        expectTrpcError(act(tokens.hooli, action, { tenantId, instanceId }), "NOT_FOUND", 404),
      );
    }

    expect((await client.installations.list.query({ tenantId })).map((row) => row.instanceId)).toEqual([
      "dropbox-kept",
    ]);
    const history = await client.installations.list.query({ tenantId, includeUninstalled: true });
    expect(history.map((row) => [row.id, row.instanceId, row.status])).toEqual([
      [installed.id, instanceId, "uninstalled"],
      [kept.id, "dropbox-kept", "installed"],
    ]);
    const uninstalledAt = present(history[0]?.uninstalledAt, "uninstalledAt");
    expect(Number.isNaN(Date.parse(uninstalledAt))).toBe(false);
    expect(history[1]?.uninstalledAt).toBeNull();
    const [row] = await rowsOf(tenantId, instanceId);
    expectSameInstant(row?.uninstalled_at, uninstalledAt);
  });

  it("free their instance id: installing it again makes a new row and keeps the old one as history", async () => {
    const instanceId = "dropbox-again";
    const first = await instanceIn(tokens.hooli, tenantId, instanceId, "inactive");
    const uninstalled = await act(tokens.hooli, "uninstall", { tenantId, instanceId });
    expect(uninstalled.revision).toBe(4);

    const second = await installDropbox(tokens.hooli, tenantId, instanceId, { version: "1.0.0" });
    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({
      instanceId,
      status: "installed",
      revision: 1,
      version: "1.0.0",
      uninstalledAt: null,
    });
    expect(await api(tokens.hooli).installations.get.query({ tenantId, instanceId })).toEqual(second);

    // The new instance moves on its own; the history row is never touched again.
    await act(tokens.hooli, "activate", { tenantId, instanceId });
    await act(tokens.hooli, "deactivate", { tenantId, instanceId });
    await act(tokens.hooli, "uninstall", { tenantId, instanceId });
    const third = await installDropbox(tokens.hooli, tenantId, instanceId, { activate: true });

    const rows = await rowsOf(tenantId, instanceId);
    expect(rows.map((row) => [row.id, row.status, row.revision, row.version])).toEqual([
      [first.id, "uninstalled", 4, "2.0.0"],
      [second.id, "uninstalled", 4, "1.0.0"],
      [third.id, "active", 1, "2.0.0"],
    ]);
    expectSameInstant(rows[0]?.uninstalled_at, uninstalled.uninstalledAt);
    expect(rows[1]?.uninstalled_at).toBeInstanceOf(Date);
    expect(rows[2]?.uninstalled_at).toBeNull();
    const history = await api(tokens.hooli).installations.list.query({ tenantId, includeUninstalled: true });
    expect(history.filter((row) => row.instanceId === instanceId).map((row) => row.id)).toEqual([
      first.id,
      second.id,
      third.id,
    ]);
    expect(
      (await api(tokens.hooli).installations.list.query({ tenantId }))
        .filter((row) => row.instanceId === instanceId)
        .map((row) => row.id),
    ).toEqual([third.id]);
    // Each row has its own trail.
    expect((await auditOf(first.id)).map((entry) => entry.action)).toEqual([
      "installation.install",
      "installation.activate",
      "installation.deactivate",
      "installation.uninstall",
    ]);
    expect((await auditOf(third.id)).map((entry) => entry.action)).toEqual(["installation.install"]);
  });
});

describe("several instances of one plugin for one tenant", () => {
  const tenantId = "initech";

  it("runs dropbox-main and dropbox-archive side by side, on different versions, each with its own lifecycle", async () => {
    const main = await installDropbox(tokens.initech, tenantId, "dropbox-main", { version: "^2.0.0" });
    const archive = await installDropbox(tokens.initech, tenantId, "dropbox-archive", { version: "~1.0.0" });
    expect(main).toMatchObject({ pluginId: "dropbox", instanceId: "dropbox-main", version: "2.0.0" });
    expect(archive).toMatchObject({ pluginId: "dropbox", instanceId: "dropbox-archive", version: "1.0.0" });

    const activated = await act(tokens.initech, "activate", { tenantId, instanceId: "dropbox-main" });
    expect(activated).toMatchObject({ id: main.id, status: "active", revision: 2 });
    expect(await api(tokens.initech).installations.get.query({ tenantId, instanceId: "dropbox-archive" })).toEqual(
      archive,
    );

    const listed = await api(tokens.initech).installations.list.query({ tenantId });
    expect(listed.map((row) => [row.instanceId, row.version, row.status, row.revision])).toEqual([
      ["dropbox-main", "2.0.0", "active", 2],
      ["dropbox-archive", "1.0.0", "installed", 1],
    ]);
    const manifest = present(await manifestOf(tenantId), "manifest");
    expect(manifest.document.plugins.map((plugin) => plugin.instanceId)).toEqual(["dropbox-main"]);
  });

  it("refuses a second live instance under the same id (CONFLICT), whatever the version, changing nothing", async () => {
    for (const version of ["2.0.0", "1.1.0"]) {
      await expectNothingChanged(tenantId, ["dropbox-main"], async () => {
        const message = await expectTrpcError(
          installDropbox(tokens.initech, tenantId, "dropbox-main", { version }),
          "CONFLICT",
          409,
        );
        expect(message).toBe("Tenant 'initech' already has an instance 'dropbox-main'");
      });
    }
  });

  it("defaults the instance id to the plugin id, which is then taken too", async () => {
    const instance = await api(tokens.initech).installations.install.mutate({ tenantId, pluginId: "dropbox" });
    expect(instance.instanceId).toBe("dropbox");
    await expectNothingChanged(tenantId, ["dropbox"], () =>
      expectTrpcError(
        api(tokens.initech).installations.install.mutate({ tenantId, pluginId: "dropbox" }),
        "CONFLICT",
        409,
      ),
    );
  });

  it("lets another tenant use the same instance id", async () => {
    const other = await installDropbox(tokens.umbrella, "umbrella", "dropbox-main");
    expect(other).toMatchObject({ tenantId: "umbrella", instanceId: "dropbox-main", status: "installed" });
    expect((await rowsOf(tenantId, "dropbox-main")).map((row) => row.revision)).toEqual([2]);
  });

  it("installs one instance id exactly once when the same install arrives concurrently", async () => {
    const instanceId = "dropbox-twice";
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => installDropbox(tokens.initech, tenantId, instanceId)),
    );
    const fulfilled = outcomes.filter((outcome) => outcome.status === "fulfilled");
    expect(fulfilled).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === "rejected") {
        const error = await trpcError(Promise.reject(outcome.reason));
        expect(error.data).toMatchObject({ code: "CONFLICT", httpStatus: 409 });
      }
    }
    const rows = await rowsOf(tenantId, instanceId);
    expect(rows).toHaveLength(1);
    expect(await auditOf(present(rows[0]).id)).toHaveLength(1);
  });
});

describe("optimistic concurrency", () => {
  const tenantId = "umbrella";

  it("refuses a stale revision with CONFLICT naming both revisions, changing nothing", async () => {
    const instanceId = "dropbox-stale";
    const installed = await installDropbox(tokens.umbrella, tenantId, instanceId);
    const started = await act(tokens.umbrella, "activate", { tenantId, instanceId, revision: installed.revision });
    expect(started.revision).toBe(2);

    for (const revision of [1, 3, 99]) {
      await expectNothingChanged(tenantId, [instanceId], async () => {
        const message = await expectTrpcError(
          act(tokens.umbrella, "deactivate", { tenantId, instanceId, revision }),
          "CONFLICT",
          409,
        );
        expect(message).toContain(`revision 2, not ${revision}`);
        expect(message).toContain(`'${instanceId}'`);
      });
    }
    // A stale revision wins over an illegal move: the caller must read again first.
    await expectNothingChanged(tenantId, [instanceId], async () => {
      const message = await expectTrpcError(
        act(tokens.umbrella, "uninstall", { tenantId, instanceId, revision: 1 }),
        "CONFLICT",
        409,
      );
      expect(message).toContain("revision 2, not 1");
    });

    const stopped = await act(tokens.umbrella, "deactivate", { tenantId, instanceId, revision: 2 });
    expect(stopped).toMatchObject({ status: "inactive", revision: 3 });
    expect((await auditOf(installed.id)).map((entry) => entry.action)).toEqual([
      "installation.install",
      "installation.activate",
      "installation.deactivate",
    ]);
  });

  it("lets exactly one of 8 concurrent activations through; the others get CONFLICT", async () => {
    const instanceId = "dropbox-stampede";
    const installed = await installDropbox(tokens.umbrella, tenantId, instanceId);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => act(tokens.umbrella, "activate", { tenantId, instanceId })),
    );
    const fulfilled = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
    expect(fulfilled).toHaveLength(1);
    expect(fulfilled[0]).toMatchObject({ id: installed.id, status: "active", revision: 2 });
    for (const outcome of outcomes) {
      if (outcome.status === "fulfilled") continue;
      const error = await trpcError(Promise.reject(outcome.reason));
      expect(error.data, error.message).toMatchObject({ code: "CONFLICT", httpStatus: 409 });
      expect(error.message).toMatch(CONFLICT_REASON);
    }

    expect(await api(tokens.umbrella).installations.get.query({ tenantId, instanceId })).toMatchObject({
      status: "active",
      revision: 2,
    });
    const trail = await auditOf(installed.id);
    expect(trail.filter((entry) => entry.action === "installation.activate")).toEqual([
      expect.objectContaining({
        tenant_id: tenantId,
        details: { instanceId, from: "installed", to: "active", revision: 2 },
      }),
    ]);
    expect(trail).toHaveLength(2);
  });

  it("leaves a consistent instance, trail and manifest after racing activations and deactivations", async () => {
    const instanceId = "dropbox-race";
    const installed = await installDropbox(tokens.umbrella, tenantId, instanceId, { activate: true });
    const rounds = 4;
    let successes = 0;
    for (let round = 0; round < rounds; round++) {
      const calls = Array.from({ length: 8 }, (_, index) =>
        act(tokens.umbrella, index % 2 === 0 ? "deactivate" : "activate", { tenantId, instanceId }),
      );
      const outcomes = await Promise.allSettled(calls);
      for (const outcome of outcomes) {
        if (outcome.status === "fulfilled") {
          successes++;
          continue;
        }
        const error = await trpcError(Promise.reject(outcome.reason));
        expect(error.data, error.message).toMatchObject({ code: "CONFLICT", httpStatus: 409 });
        expect(error.message).toMatch(CONFLICT_REASON);
      }
    }
    expect(successes).toBeGreaterThanOrEqual(rounds);

    const [row] = await rowsOf(tenantId, instanceId);
    const current = present(row, "row");
    expect(current.revision).toBe(1 + successes);
    const moves = (await auditOf(installed.id)).filter((entry) => entry.action !== "installation.install");
    expect(moves).toHaveLength(successes);
    let status = "active";
    for (const [index, move] of moves.entries()) {
      expect(move.details).toEqual({
        instanceId,
        from: status,
        to: status === "active" ? "inactive" : "active",
        revision: index + 2,
      });
      expect(move.action).toBe(status === "active" ? "installation.deactivate" : "installation.activate");
      status = String(move.details.to);
    }
    expect(current.status).toBe(status);
    expect(await api(tokens.umbrella).installations.get.query({ tenantId, instanceId })).toMatchObject({
      status,
      revision: 1 + successes,
    });
    const served = present(await manifestOf(tenantId), "manifest").document.plugins.map((plugin) => plugin.instanceId);
    expect(served.includes(instanceId)).toBe(status === "active");
  });

  it("lets one of a concurrent activation and uninstallation win, never both", async () => {
    for (let round = 0; round < 3; round++) {
      const instanceId = `dropbox-fork-${round}`;
      const installed = await installDropbox(tokens.umbrella, tenantId, instanceId);
      const outcomes = await Promise.allSettled([
        act(tokens.umbrella, "activate", { tenantId, instanceId }),
        act(tokens.umbrella, "uninstall", { tenantId, instanceId }),
        act(tokens.umbrella, "activate", { tenantId, instanceId }),
        act(tokens.umbrella, "uninstall", { tenantId, instanceId }),
      ]);
      const fulfilled = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
      expect(fulfilled).toHaveLength(1);
      const winner = present(fulfilled[0]);
      for (const outcome of outcomes) {
        if (outcome.status === "rejected") {
          const error = await trpcError(Promise.reject(outcome.reason));
          // The loser saw the winner's work: a stale revision, a forbidden move, or an instance gone.
          expect(error.data, error.message).toMatchObject({ code: expect.stringMatching(/^(CONFLICT|NOT_FOUND)$/) });
        }
      }
      const rows = await rowsOf(tenantId, instanceId);
      expect(rows.map((row) => [row.status, row.revision])).toEqual([[winner.status, 2]]);
      expect((await auditOf(installed.id)).map((entry) => entry.action)).toEqual([
        "installation.install",
        winner.status === "active" ? "installation.activate" : "installation.uninstall",
      ]);
    }
  });
});

describe("REST calls of the older service", () => {
  const tenantId = "stark";

  function call(
    method: "GET" | "POST",
    route: "start" | "stop" | "status",
    instanceId: string,
    options: { token?: string | null; tenant?: string | null } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? tokens.stark : options.token;
    const tenant = options.tenant === undefined ? tenantId : options.tenant;
    if (token) headers.authorization = `Bearer ${token}`;
    if (tenant !== null) headers["x-tenant-id"] = tenant;
    return fetch(`${stack.url}/api/plugins/${route}/${instanceId}`, { method, headers });
  }
  const start = (instanceId: string, options?: Parameters<typeof call>[3]) =>
    call("POST", "start", instanceId, options);
  const stop = (instanceId: string, options?: Parameters<typeof call>[3]) => call("POST", "stop", instanceId, options);
  const status = (instanceId: string, options?: Parameters<typeof call>[3]) =>
    call("GET", "status", instanceId, options);

  async function ok(response: Response): Promise<Instance> {
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    return JSON.parse(text) as Instance;
  }

  beforeAll(async () => {
    await installDropbox(tokens.stark, tenantId, "dropbox-rest");
    await installDropbox(tokens.stark, tenantId, "dropbox-fresh");
  });

  it("start, stop and status answer 200 with the instance, as tRPC sees it", async () => {
    const instanceId = "dropbox-rest";
    const initial = await ok(await status(instanceId));
    expect(initial).toMatchObject({ tenantId, instanceId, status: "installed", revision: 1 });

    const started = await ok(await start(instanceId));
    expect(started).toMatchObject({ id: initial.id, status: "active", revision: 2 });
    expect(await ok(await status(instanceId))).toEqual({ ...started, runtime: null });
    expect(await api(tokens.stark).installations.get.query({ tenantId, instanceId })).toEqual(started);

    const stopped = await ok(await stop(instanceId));
    expect(stopped).toMatchObject({ id: initial.id, status: "inactive", revision: 3 });
    expect(await ok(await status(instanceId))).toEqual({ ...stopped, runtime: null });

    const restarted = await ok(await start(instanceId));
    expect(restarted).toMatchObject({ status: "active", revision: 4 });
    expect((await auditOf(initial.id)).map((entry) => [entry.action, entry.actor_id, entry.tenant_id])).toEqual([
      ["installation.install", "tony", tenantId],
      ["installation.activate", "tony", tenantId],
      ["installation.deactivate", "tony", tenantId],
      ["installation.activate", "tony", tenantId],
    ]);
  });

  it("answers an illegal move with the 409 CONFLICT envelope, changing nothing", async () => {
    // dropbox-rest is active now; dropbox-fresh was never started.
    await expectNothingChanged(tenantId, ["dropbox-rest"], async () => {
      const message = await expectError(await start("dropbox-rest"), 409, "CONFLICT");
      expect(message).toBe("Instance 'dropbox-rest' is already active");
    });
    await expectNothingChanged(tenantId, ["dropbox-fresh"], async () => {
      const message = await expectError(await stop("dropbox-fresh"), 409, "CONFLICT");
      expect(message).toMatch(/'dropbox-fresh' was never activated/);
    });
    await ok(await stop("dropbox-rest"));
    await expectNothingChanged(tenantId, ["dropbox-rest"], async () => {
      const message = await expectError(await stop("dropbox-rest"), 409, "CONFLICT");
      expect(message).toBe("Instance 'dropbox-rest' is already inactive");
    });
  });

  it("answers 404 for an instance the tenant does not have, or no longer has", async () => {
    for (const response of [await start("nope"), await stop("nope"), await status("nope")]) {
      expect(await expectError(response, 404, "NOT_FOUND")).toBe("No instance 'nope'");
    }
    await installDropbox(tokens.stark, tenantId, "dropbox-removed");
    await act(tokens.stark, "uninstall", { tenantId, instanceId: "dropbox-removed" });
    for (const response of [
      await start("dropbox-removed"),
      await stop("dropbox-removed"),
      await status("dropbox-removed"),
    ]) {
      await expectError(response, 404, "NOT_FOUND");
    }
    // Another tenant's instance id is unknown here.
    await installDropbox(tokens.oscorp, "oscorp", "dropbox-elsewhere");
    await expectError(await status("dropbox-elsewhere"), 404, "NOT_FOUND");
  });

  it.each(["Bad..Id", "UPPER", "a..b", "-leading", "trailing-", "with%20space", "x".repeat(65)])(
    "answers 400 for the malformed instance id %s, changing nothing",
    async (instanceId) => {
      await expectNothingChanged(tenantId, ["dropbox-rest", "dropbox-fresh"], async () => {
        for (const response of [await start(instanceId), await stop(instanceId), await status(instanceId)]) {
          expect(await expectError(response, 400, "BAD_REQUEST")).toMatch(/instanceId/);
        }
      });
    },
  );

  it("answers 400 without x-tenant-id", async () => {
    await expectNothingChanged(tenantId, ["dropbox-fresh"], async () => {
      for (const response of [
        await start("dropbox-fresh", { tenant: null }),
        await stop("dropbox-fresh", { tenant: null }),
        await status("dropbox-fresh", { tenant: null }),
      ]) {
        expect(await expectError(response, 400, "BAD_REQUEST")).toMatch(/x-tenant-id/);
      }
    });
  });

  it("answers 404 when x-tenant-id is not the token's tenant, as for a tenant that does not exist, changing nothing", async () => {
    await expectNothingChanged(tenantId, ["dropbox-fresh"], async () => {
      for (const response of [
        await start("dropbox-fresh", { tenant: "wayne" }),
        await stop("dropbox-fresh", { tenant: "wayne" }),
        await status("dropbox-fresh", { tenant: "wayne" }),
        // Another tenant's editor naming stark.
        await start("dropbox-fresh", { token: tokens.wayne }),
        await status("dropbox-fresh", { token: tokens.wayne }),
      ]) {
        expect(await expectError(response, 404, "NOT_FOUND")).toMatch(/^No tenant '(wayne|stark)'$/);
      }
    });
  });

  it("answers 401 without a token, asking for one", async () => {
    await expectNothingChanged(tenantId, ["dropbox-fresh"], async () => {
      for (const response of [
        await start("dropbox-fresh", { token: null }),
        await stop("dropbox-fresh", { token: null }),
        await status("dropbox-fresh", { token: null }),
        await status("dropbox-fresh", { token: null, tenant: null }),
      ]) {
        expect(response.headers.get("www-authenticate")).toBe("Bearer");
        await expectError(response, 401, "UNAUTHORIZED");
      }
    });
  });

  it("lets a viewer read the status but not start or stop (403)", async () => {
    expect(await ok(await status("dropbox-fresh", { token: tokens.starkViewer }))).toMatchObject({
      instanceId: "dropbox-fresh",
      status: "installed",
    });
    await expectNothingChanged(tenantId, ["dropbox-fresh"], async () => {
      await expectError(await start("dropbox-fresh", { token: tokens.starkViewer }), 403, "FORBIDDEN");
      await expectError(await stop("dropbox-fresh", { token: tokens.starkViewer }), 403, "FORBIDDEN");
    });
  });

  it("answers 400 for a malformed x-tenant-id, even from an admin", async () => {
    for (const response of [
      await status("dropbox-fresh", { token: cast.root, tenant: "Not A Tenant" }),
      await start("dropbox-fresh", { token: cast.root, tenant: "Not A Tenant" }),
    ]) {
      await expectError(response, 400, "BAD_REQUEST");
    }
  });

  it("routes /api/plugins/status/bundle to the instance named 'bundle', not to the plugin bundle redirect", async () => {
    const named = await installDropbox(tokens.stark, tenantId, "bundle");
    const response = await fetch(`${stack.url}/api/plugins/status/bundle`, {
      headers: { authorization: `Bearer ${tokens.stark}`, "x-tenant-id": tenantId },
      redirect: "manual",
    });
    expect(await ok(response)).toEqual({ ...named, runtime: null });
    await expectError(await status("bundle", { token: null }), 401, "UNAUTHORIZED");
  });

  it("lets an admin act for any tenant it names", async () => {
    const started = await ok(await start("dropbox-fresh", { token: cast.root }));
    expect(started).toMatchObject({ tenantId, status: "active", revision: 2 });
    expect(await ok(await status("dropbox-fresh", { token: cast.root }))).toEqual({ ...started, runtime: null });
    const [entry] = (await auditOf(started.id)).slice(-1);
    expect(entry).toMatchObject({
      action: "installation.activate",
      actor_id: "root",
      actor_role: "admin",
      tenant_id: tenantId,
    });
  });
});

describe("roles and tenancy over tRPC", () => {
  const tenantId = "wayne";
  const idle = "vault-idle";
  const live = "vault-live";

  beforeAll(async () => {
    await instanceIn(tokens.wayne, tenantId, idle, "installed");
    await instanceIn(tokens.wayne, tenantId, live, "active");
  });

  /** Every procedure, aimed at a call that would succeed for wayne's own editor. */
  const procedures: Record<string, (client: Client) => Promise<unknown>> = {
    get: (client) => client.installations.get.query({ tenantId, instanceId: idle }),
    list: (client) => client.installations.list.query({ tenantId }),
    "list with history": (client) => client.installations.list.query({ tenantId, includeUninstalled: true }),
    install: (client) => client.installations.install.mutate({ tenantId, pluginId: "dropbox", instanceId: "intruder" }),
    activate: (client) => client.installations.activate.mutate({ tenantId, instanceId: idle }),
    deactivate: (client) => client.installations.deactivate.mutate({ tenantId, instanceId: live }),
    uninstall: (client) => client.installations.uninstall.mutate({ tenantId, instanceId: idle }),
    "activate an unknown instance": (client) =>
      client.installations.activate.mutate({ tenantId, instanceId: "no-such-instance" }),
  };
  const names = Object.keys(procedures);

  it("lets a viewer of the tenant get and list", async () => {
    const client = api(tokens.wayneViewer);
    expect(await client.installations.get.query({ tenantId, instanceId: idle })).toMatchObject({ status: "installed" });
    expect((await client.installations.list.query({ tenantId })).map((row) => row.instanceId)).toEqual([idle, live]);
    expect(await client.installations.list.query({ tenantId, includeUninstalled: true })).toHaveLength(2);
  });

  it.each(["install", "activate", "deactivate", "uninstall"])(
    "refuses a viewer of the tenant %s with FORBIDDEN, changing nothing",
    async (name) => {
      await expectNothingChanged(tenantId, [idle, live, "intruder"], async () => {
        const message = await expectTrpcError(present(procedures[name])(api(tokens.wayneViewer)), "FORBIDDEN", 403);
        expect(message).toMatch(/viewer/);
      });
    },
  );

  it.each(names)("asks a guest to sign in for %s (UNAUTHORIZED), changing nothing", async (name) => {
    await expectNothingChanged(tenantId, [idle, live, "intruder"], () =>
      expectTrpcError(present(procedures[name])(api()), "UNAUTHORIZED", 401),
    );
  });

  it.each(names.flatMap((name) => [["an editor", name] as const, ["a viewer", name] as const]))(
    "answers %s of another tenant NOT_FOUND for %s, as if the tenant did not exist, changing nothing",
    async (role, name) => {
      const token = role === "an editor" ? tokens.oscorp : tokens.oscorpViewer;
      await expectNothingChanged(tenantId, [idle, live, "intruder"], async () => {
        const message = await expectTrpcError(present(procedures[name])(api(token)), "NOT_FOUND", 404);
        expect(message).toBe(`No tenant '${tenantId}'`);
      });
    },
  );

  it("answers another tenant the same for a tenant that exists and one that does not", async () => {
    const existing = await trpcError(api(tokens.oscorp).installations.get.query({ tenantId, instanceId: idle }));
    const missing = await trpcError(
      api(tokens.oscorp).installations.get.query({ tenantId: "no-such-tenant", instanceId: idle }),
    );
    expect([existing.message, existing.data]).toMatchObject([
      `No tenant '${tenantId}'`,
      { code: "NOT_FOUND", httpStatus: 404 },
    ]);
    expect([missing.message, missing.data]).toMatchObject([
      "No tenant 'no-such-tenant'",
      { code: "NOT_FOUND", httpStatus: 404 },
    ]);
  });

  it("lets an admin act for any tenant, recorded as the admin's act for that tenant", async () => {
    const admin = api(cast.root);
    expect((await admin.installations.list.query({ tenantId })).map((row) => row.instanceId)).toEqual([idle, live]);
    const instanceId = "vault-admin";
    const installed = await admin.installations.install.mutate({ tenantId, pluginId: "dropbox", instanceId });
    expect(installed).toMatchObject({ tenantId, installedBy: "root" });
    await admin.installations.activate.mutate({ tenantId, instanceId });
    await admin.installations.deactivate.mutate({ tenantId, instanceId });
    const gone = await admin.installations.uninstall.mutate({ tenantId, instanceId, revision: 3 });
    expect(gone).toMatchObject({ status: "uninstalled", revision: 4 });
    const trail = await auditOf(installed.id);
    expect(trail.map((entry) => [entry.action, entry.actor_id, entry.actor_role, entry.tenant_id])).toEqual([
      ["installation.install", "root", "admin", tenantId],
      ["installation.activate", "root", "admin", tenantId],
      ["installation.deactivate", "root", "admin", tenantId],
      ["installation.uninstall", "root", "admin", tenantId],
    ]);
    // The tenant's own editor sees what the admin did.
    expect(
      (await api(tokens.wayne).installations.list.query({ tenantId, includeUninstalled: true })).map(
        (row) => row.instanceId,
      ),
    ).toContain(instanceId);
  });
});
