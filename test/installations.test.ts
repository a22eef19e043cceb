import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import { install, pluginMetadata, publish, trpc, UUID } from "./helpers";
import { type Stack, startStack } from "./stack";
import { publishFollowed } from "./update-passes";

let stack: Stack;
let cast: Cast;

interface Installation {
  id: string;
  tenantId: string;
  instanceId: string;
  pluginId: string;
  version: string;
  status: string;
  installedBy: string;
  installedAt: string;
  updatedAt: string;
}

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  for (const version of ["1.0.0", "1.4.0", "1.10.1", "2.0.0", "2.1.0-beta.1"]) {
    await publish(stack, cast.alice, pluginMetadata({ id: "checkout", version }));
  }
});
afterAll(() => stack?.stop());

async function installOk(token: string, tenant: string, body: Record<string, unknown>) {
  const response = await install(stack, token, tenant, body);
  const text = await response.text();
  expect(response.status, text).toBe(201);
  expect(response.headers.get("x-request-id")).toMatch(UUID);
  return { installation: JSON.parse(text) as Installation, requestId: response.headers.get("x-request-id") };
}

describe("installing for a tenant", () => {
  let latest: Installation;
  let latestRequestId: string | null;

  beforeAll(async () => {
    ({ installation: latest, requestId: latestRequestId } = await installOk(cast.alice, "acme", {
      pluginId: "checkout",
    }));
  });

  it("answers 201 with the installation pinned to the exact latest stable version", () => {
    expect(latest).toEqual({
      id: expect.stringMatching(UUID),
      tenantId: "acme",
      instanceId: "checkout",
      pluginId: "checkout",
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
  });

  it("stores the row the response describes", async () => {
    const { rows } = await stack.db.query(
      "select id, tenant_id, instance_id, plugin_id, version, status, installed_by from installations where id = $1",
      [latest.id],
    );
    expect(rows).toEqual([
      {
        id: latest.id,
        tenant_id: "acme",
        instance_id: "checkout",
        plugin_id: "checkout",
        version: "2.0.0",
        status: "installed",
        installed_by: "alice",
      },
    ]);
  });

  it("writes an installation.install audit entry for the tenant with what was asked and what was pinned", async () => {
    const { rows } = await stack.db.query(
      "select actor_id, actor_role, tenant_id, action, resource_type, resource_id, details, request_id from audit_log where resource_id = $1",
      [latest.id],
    );
    expect(rows).toEqual([
      {
        actor_id: "alice",
        actor_role: "editor",
        tenant_id: "acme",
        action: "installation.install",
        resource_type: "installation",
        resource_id: latest.id,
        details: {
          pluginId: "checkout",
          instanceId: "checkout",
          version: "2.0.0",
          requested: "latest",
          updatePolicy: "pinned",
          status: "installed",
        },
        request_id: latestRequestId,
      },
    ]);
  });

  it("pins ^1.0.0 to the highest 1.x (1.10.1, not 1.4.0 by string order)", async () => {
    const { installation } = await installOk(cast.alice, "acme", {
      pluginId: "checkout",
      version: "^1.0.0",
      instanceId: "checkout-legacy",
    });
    expect(installation).toMatchObject({ instanceId: "checkout-legacy", version: "1.10.1", tenantId: "acme" });
    const { rows } = await stack.db.query(
      "select details->>'requested' as requested, details->>'version' as version from audit_log where resource_id = $1",
      [installation.id],
    );
    expect(rows).toEqual([{ requested: "^1.0.0", version: "1.10.1" }]);
  });

  it("pins an exact version as asked, and never picks a prerelease for a range", async () => {
    const exact = await installOk(cast.alice, "acme", {
      pluginId: "checkout",
      version: "1.4.0",
      instanceId: "exact",
    });
    expect(exact.installation.version).toBe("1.4.0");
    const range = await installOk(cast.alice, "acme", {
      pluginId: "checkout",
      version: ">=2.0.0",
      instanceId: "range",
    });
    expect(range.installation.version).toBe("2.0.0");
  });

  it("keeps an installation on its pinned version after a newer version is published", async () => {
    await publishFollowed(stack, cast.alice, pluginMetadata({ id: "checkout", version: "2.2.0" }));
    const { rows } = await stack.db.query("select version from installations where id = $1", [latest.id]);
    expect(rows).toEqual([{ version: "2.0.0" }]);
    const { installation } = await installOk(cast.alice, "acme", { pluginId: "checkout", instanceId: "after" });
    expect(installation.version).toBe("2.2.0");
  });

  it("ignores a tenantId in the body: the x-tenant-id header decides", async () => {
    const { installation } = await installOk(cast.alice, "acme", {
      pluginId: "checkout",
      instanceId: "body-tenant",
      tenantId: "globex",
    });
    expect(installation.tenantId).toBe("acme");
  });

  it("lets an admin install for another tenant, recorded as the admin's act for that tenant", async () => {
    const { installation } = await installOk(cast.root, "globex", { pluginId: "checkout", version: "~1.4" });
    expect(installation).toMatchObject({ tenantId: "globex", installedBy: "root", version: "1.4.0" });
    const { rows } = await stack.db.query(
      "select actor_id, actor_role, tenant_id from audit_log where resource_id = $1",
      [installation.id],
    );
    expect(rows).toEqual([{ actor_id: "root", actor_role: "admin", tenant_id: "globex" }]);
  });
});

describe("listing a tenant's installations over tRPC", () => {
  it("shows an acme editor acme's installations only, oldest first", async () => {
    const rows = await trpc(stack, cast.alice).installations.list.query({ tenantId: "acme" });
    expect(rows.map((row) => row.instanceId)).toEqual([
      "checkout",
      "checkout-legacy",
      "exact",
      "range",
      "after",
      "body-tenant",
    ]);
    expect(new Set(rows.map((row) => row.tenantId))).toEqual(new Set(["acme"]));
  });

  it("shows a globex viewer globex's installation only, through a batching client", async () => {
    const rows = await trpc(stack, cast.gina, { link: "batch" }).installations.list.query({
      tenantId: "globex",
    });
    expect(rows.map((row) => [row.tenantId, row.pluginId, row.version, row.installedBy])).toEqual([
      ["globex", "checkout", "1.4.0", "root"],
    ]);
  });

  it("answers a streaming batch (httpBatchStreamLink, trpc-accept: application/jsonl) like separate calls", async () => {
    const plain = trpc(stack, cast.alice);
    const streamed = trpc(stack, cast.alice, { link: "stream" });
    const [installations, plugin, resolved] = await Promise.all([
      streamed.installations.list.query({ tenantId: "acme" }),
      streamed.plugins.get.query({ pluginId: "checkout" }),
      streamed.plugins.resolve.query({ pluginId: "checkout", range: "^1" }),
    ]);
    expect(installations).toEqual(await plain.installations.list.query({ tenantId: "acme" }));
    expect(plugin).toEqual(await plain.plugins.get.query({ pluginId: "checkout" }));
    expect(resolved.version).toBe("1.10.1");
  });

  it("answers a globex viewer asking for acme's installations as if acme did not exist (NOT_FOUND)", async () => {
    const error = await trpc(stack, cast.gina)
      .installations.list.query({ tenantId: "acme" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    const clientError = error as TRPCClientError<never>;
    expect(clientError.data).toMatchObject({ code: "NOT_FOUND", httpStatus: 404, path: "installations.list" });
    expect(clientError.message).toBe("No tenant 'acme'");
  });

  it("answers a globex editor NOT_FOUND too", async () => {
    const error = await trpc(stack, cast.bob)
      .installations.list.query({ tenantId: "acme" })
      .catch((caught: unknown) => caught);
    expect((error as TRPCClientError<never>).data).toMatchObject({ code: "NOT_FOUND", httpStatus: 404 });
  });

  it("answers a globex editor's REST calls for acme with the same 404 as over tRPC and as for no such tenant", async () => {
    const before = await stack.snapshot();
    const answers = [];
    for (const tenant of ["acme", "no-such-tenant"]) {
      const headers = { authorization: `Bearer ${cast.bob}`, "x-tenant-id": tenant };
      for (const response of [
        await install(stack, cast.bob, tenant, { pluginId: "checkout", instanceId: "cross" }),
        await fetch(`${stack.url}/api/plugins/status/checkout`, { headers }),
        await fetch(`${stack.url}/api/plugins/start/checkout`, { method: "POST", headers }),
      ]) {
        const body = (await response.json()) as { error: { code: string; message: string } };
        answers.push([response.status, body.error.code, body.error.message]);
      }
    }
    expect(answers).toEqual([
      ...Array.from({ length: 3 }, () => [404, "NOT_FOUND", "No tenant 'acme'"]),
      ...Array.from({ length: 3 }, () => [404, "NOT_FOUND", "No tenant 'no-such-tenant'"]),
    ]);
    expect(await stack.snapshot()).toEqual(before);
  });

  it("refuses a guest with UNAUTHORIZED", async () => {
    const error = await trpc(stack)
      .installations.list.query({ tenantId: "acme" })
      .catch((caught: unknown) => caught);
    expect((error as TRPCClientError<never>).data).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401 });
  });

  it("lets an admin list any tenant", async () => {
    const rows = await trpc(stack, cast.root).installations.list.query({ tenantId: "globex" });
    expect(rows).toHaveLength(1);
    const none = await trpc(stack, cast.root).installations.list.query({ tenantId: "initech" });
    expect(none).toEqual([]);
  });

  it("lets an acme viewer read but not install over tRPC", async () => {
    const client = trpc(stack, cast.vera);
    expect(await client.installations.list.query({ tenantId: "acme" })).toHaveLength(6);
    const before = await stack.snapshot();
    const error = await client.installations.install
      .mutate({ tenantId: "acme", pluginId: "checkout", instanceId: "by-viewer" })
      .catch((caught: unknown) => caught);
    expect((error as TRPCClientError<never>).data).toMatchObject({ code: "FORBIDDEN", httpStatus: 403 });
    expect(await stack.snapshot()).toEqual(before);
  });

  it("installs over tRPC for the caller's tenant with the same rules as REST", async () => {
    const installation = await trpc(stack, cast.bob).installations.install.mutate({
      tenantId: "globex",
      pluginId: "checkout",
      version: "^2.0.0",
      instanceId: "checkout-2",
    });
    expect(installation).toMatchObject({ tenantId: "globex", instanceId: "checkout-2", version: "2.2.0" });
    const error = await trpc(stack, cast.bob)
      .installations.install.mutate({ tenantId: "acme", pluginId: "checkout", instanceId: "intruder" })
      .catch((caught: unknown) => caught);
    expect((error as TRPCClientError<never>).data).toMatchObject({ code: "NOT_FOUND" });
  });
});
