import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectNothingChanged, seedAttackTargets } from "./attack-helpers";
import { type Cast, mintCast } from "./cast";
import { expectError, expectTrpcError, install, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

/**
 * Cross-tenant access: a tenant's viewer or editor, or an editor of no tenant, cannot read or
 * install for another tenant, which answers as if it did not exist; only an admin crosses.
 */

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  await seedAttackTargets(stack, cast);
});
afterAll(() => stack?.stop());

describe("a tenant's viewer or editor cannot read or install for another tenant", () => {
  it("a viewer of acme installing for globex over REST: 404, as for a tenant that does not exist", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await install(stack, cast.vera, "globex", { pluginId: "owned", instanceId: "cross" });
      expect(await expectError(response, 404, "NOT_FOUND")).toBe("No tenant 'globex'");
    });
  });

  it("an editor of acme installing for globex over REST: 404, as for a tenant that does not exist", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await install(stack, cast.alice, "globex", { pluginId: "owned" });
      expect(await expectError(response, 404, "NOT_FOUND")).toBe("No tenant 'globex'");
    });
  });

  it.each(["ACME", "acme,globex", "acme globex"])(
    "an editor of acme installing with x-tenant-id %j over REST: 400 naming tenantId, as to an admin",
    async (tenant) => {
      await expectNothingChanged(stack, async () => {
        for (const token of [cast.alice, cast.root]) {
          const response = await install(stack, token, tenant, { pluginId: "owned", instanceId: "cross" });
          expect(await expectError(response, 400, "BAD_REQUEST")).toMatch(/^tenantId: /);
        }
      });
    },
  );

  it.each([
    ["vera (viewer of acme)", "vera"],
    ["alice (editor of acme)", "alice"],
    ["nomad (an editor of no tenant)", "nomad"],
  ] as const)("%s listing globex over tRPC: NOT_FOUND, as for a tenant that does not exist", async (_, who) => {
    await expectNothingChanged(stack, async () => {
      const message = await expectTrpcError(
        trpc(stack, cast[who]).installations.list.query({ tenantId: "globex" }),
        "NOT_FOUND",
        404,
      );
      expect(message).toContain("globex");
    });
  });

  it("an editor of acme installing for globex over tRPC: NOT_FOUND", async () => {
    await expectNothingChanged(stack, async () => {
      await expectTrpcError(
        trpc(stack, cast.alice).installations.install.mutate({
          tenantId: "globex",
          pluginId: "owned",
          instanceId: "cross",
        }),
        "NOT_FOUND",
        404,
      );
    });
  });

  it("an editor of no tenant installing for acme: NOT_FOUND over REST and tRPC alike", async () => {
    await expectNothingChanged(stack, async () => {
      expect(
        await expectError(
          await install(stack, cast.nomad, "acme", { pluginId: "owned", instanceId: "x" }),
          404,
          "NOT_FOUND",
        ),
      ).toBe("No tenant 'acme'");
      await expectTrpcError(
        trpc(stack, cast.nomad).installations.install.mutate({
          tenantId: "acme",
          pluginId: "owned",
          instanceId: "x",
        }),
        "NOT_FOUND",
        404,
      );
    });
  });

  it("a tenantId in the REST body cannot redirect an install away from x-tenant-id", async () => {
    const response = await install(stack, cast.alice, "acme", {
      pluginId: "owned",
      instanceId: "smuggled",
      tenantId: "globex",
    });
    expect(response.status, await response.clone().text()).toBe(201);
    expect(((await response.json()) as { tenantId: string }).tenantId).toBe("acme");
    const { rows } = await stack.db.query("select tenant_id from installations where instance_id = 'smuggled'");
    expect(rows).toEqual([{ tenant_id: "acme" }]);
  });

  it("an admin may install and list for globex", async () => {
    const response = await install(stack, cast.root, "globex", { pluginId: "owned", instanceId: "by-admin" });
    expect(response.status, await response.clone().text()).toBe(201);
    const listed = await trpc(stack, cast.root).installations.list.query({ tenantId: "globex" });
    expect(listed.map((row) => [row.instanceId, row.installedBy])).toEqual([["by-admin", "root"]]);
    const viaTrpc = await trpc(stack, cast.root).installations.install.mutate({
      tenantId: "initech",
      pluginId: "owned",
    });
    expect(viaTrpc).toMatchObject({ tenantId: "initech", pluginId: "owned", installedBy: "root" });
  });
});
