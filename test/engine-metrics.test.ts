/**
 * Health and metrics per instance, "monitor all plugins from one place": each call of an
 * instance's handler is recorded in its Durable Object (count, failure, deadline and size
 * hits, duration), and read back through `installations.metrics`, the tenant-wide
 * `installations.metricsSummary` and `GET /api/plugins/status/:instanceId`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import { eventually, expectTrpcError, publish, trpc } from "./helpers";
import { callInstance, installActive, publishServerPlugin } from "./server-plugins";
import { type Stack, startStack } from "./stack";

const DEADLINE_MS = 1000;

const MONITORED = `
export default {
  async fetch(request) {
    switch (new URL(request.url).pathname) {
      case "/ok": return new Response("fine");
      case "/throw": throw new Error("the index is corrupt");
      case "/hang": await new Promise((resolve) => setTimeout(resolve, 3600000)); return new Response("late");
      case "/server-error": return new Response("upstream down", { status: 503 });
      default: return new Response("no such route", { status: 404 });
    }
  },
};
`;

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack({ pluginsBindings: { ENGINE_DEADLINE_MS: String(DEADLINE_MS) } });
  cast = await mintCast(stack);
  await publishServerPlugin(stack, cast.alice, { id: "monitored", server: MONITORED });
  await installActive(stack, cast.alice, "acme", "monitored", "busy");
  await installActive(stack, cast.alice, "acme", "monitored", "broken");
  await installActive(stack, cast.alice, "acme", "monitored", "quiet");
  await publish(stack, cast.alice, { id: "widget", name: "Widget", version: "1.0.0", category: "ui" });
  await installActive(stack, cast.alice, "acme", "widget", "widget");
  for (const path of ["/ok", "/ok", "/ok", "/ok", "/ok", "/ok", "/not-here", "/throw", "/hang", "/server-error"]) {
    await callInstance(stack, cast.alice, "busy", path);
  }
  for (const path of ["/throw", "/throw", "/ok"]) await callInstance(stack, cast.alice, "broken", path);
}, 60_000);
afterAll(() => stack?.stop());

const metricsOf = (instanceId: string) =>
  trpc(stack, cast.vera).installations.metrics.query({ tenantId: "acme", instanceId });

async function settled(instanceId: string, requests: number) {
  return eventually(`${requests} calls of ${instanceId} recorded`, async () => {
    const { runtime } = await metricsOf(instanceId);
    return runtime && runtime.requests >= requests ? runtime : undefined;
  });
}

describe("installations.metrics", () => {
  it("counts calls, failures and deadline hits, with latency percentiles and the last error", async () => {
    const runtime = await settled("busy", 10);
    expect(runtime).toMatchObject({
      health: "degraded",
      requests: 10,
      errors: 3,
      deadlineHits: 1,
      limitHits: 0,
      lastScheduledRun: null,
    });
    // The plugin's own 404 is an answer, not a failure; its 503 and its throw are.
    expect(runtime.lastError?.message).toBe("answered 503");
    expect(runtime.latencyMs?.p99).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(runtime.latencyMs?.p50).toBeLessThan(DEADLINE_MS);
    expect(runtime.recent.reduce((sum, minute) => sum + minute.requests, 0)).toBe(10);
  });

  it("says failing when half the recent calls failed, idle when there were none", async () => {
    expect((await settled("broken", 3)).health).toBe("failing");
    const { runtime } = await metricsOf("quiet");
    expect(runtime).toMatchObject({ health: "idle", requests: 0, latencyMs: null, lastError: null, recent: [] });
  });

  it("has no runtime for a plugin without a server module, and answers 404 for another tenant's instance", async () => {
    expect((await metricsOf("widget")).runtime).toBeNull();
    const bob = trpc(stack, cast.bob);
    await expectTrpcError(bob.installations.metrics.query({ tenantId: "acme", instanceId: "busy" }), "NOT_FOUND", 404);
  });
});

describe("the tenant's summary and the REST status", () => {
  it("lists every instance that runs a server module, with its runtime", async () => {
    await settled("busy", 10);
    const summary = await trpc(stack, cast.vera).installations.metricsSummary.query({ tenantId: "acme" });
    expect(summary.map(({ instanceId, runtime }) => [instanceId, runtime.health])).toEqual([
      ["busy", "degraded"],
      ["broken", "failing"],
      ["quiet", "idle"],
    ]);
  });

  it("adds the runtime to GET /api/plugins/status/:instanceId", async () => {
    const status = await fetch(`${stack.url}/api/plugins/status/busy`, {
      headers: { authorization: `Bearer ${cast.alice}`, "x-tenant-id": "acme" },
    });
    expect(status.status).toBe(200);
    const body = (await status.json()) as { instanceId: string; status: string; runtime: { requests: number } };
    expect(body).toMatchObject({ instanceId: "busy", status: "active" });
    expect(body.runtime.requests).toBeGreaterThanOrEqual(10);
    const widget = await fetch(`${stack.url}/api/plugins/status/widget`, {
      headers: { authorization: `Bearer ${cast.alice}`, "x-tenant-id": "acme" },
    });
    expect(((await widget.json()) as { runtime: unknown }).runtime).toBeNull();
  });
});
