/**
 * What an isolate of the plugins worker keeps between calls of instances' handlers: the
 * instance documents it read (trusted for ENGINE_INSTANCE_TTL_MS against other isolates'
 * writes, never against its own) and the calls' metrics samples (written to the instance's
 * Durable Object once per ENGINE_METRICS_WINDOW_MS).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import { eventually, trpc } from "./helpers";
import { callInstance, installActive, publishServerPlugin } from "./server-plugins";
import { type Stack, startStack } from "./stack";

const TTL_MS = 3000;
const MAX_RESPONSE_BYTES = 1024;

const ECHO = `
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === "/long") return new Response("x".repeat(${4 * MAX_RESPONSE_BYTES}));
    return new Response("on");
  },
};
`;

let stack: Stack;
let cast: Cast;

beforeAll(async () => {
  stack = await startStack({
    pluginsBindings: {
      ENGINE_INSTANCE_TTL_MS: String(TTL_MS),
      ENGINE_METRICS_WINDOW_MS: "500",
      ENGINE_MAX_RESPONSE_BYTES: String(MAX_RESPONSE_BYTES),
    },
  });
  cast = await mintCast(stack);
  await publishServerPlugin(stack, cast.alice, { id: "echo", server: ECHO });
  for (const instanceId of ["shared", "own", "counted"]) {
    await installActive(stack, cast.alice, "acme", "echo", instanceId);
  }
}, 60_000);
afterAll(() => stack?.stop());

/** Rewrites an instance's stored document as another isolate's write would: this isolate hears nothing of it. */
async function rewriteElsewhere(instanceId: string, change: Record<string, unknown>) {
  const key = `~read-models/instances/acme/${instanceId}`;
  const object = await stack.bucket.get(key);
  if (!object) throw new Error(`no document under ${key}`);
  const envelope = (await object.json()) as { document: Record<string, unknown> };
  await stack.bucket.put(key, JSON.stringify({ ...envelope, document: { ...envelope.document, ...change } }));
}

describe("instance documents", () => {
  it("are read again once older than ENGINE_INSTANCE_TTL_MS, so another isolate's deactivation takes hold", async () => {
    expect((await callInstance(stack, cast.alice, "shared", "/")).status).toBe(200);
    const rewrittenAt = Date.now();
    await rewriteElsewhere("shared", { status: "inactive" });
    const refused = await eventually("the deactivation seen", async () => {
      const response = await callInstance(stack, cast.alice, "shared", "/");
      return response.status === 409 ? response : undefined;
    });
    // Trusted until the time to live ran out, and not for long after.
    expect(Date.now() - rewrittenAt).toBeGreaterThanOrEqual(TTL_MS - 500);
    expect(await refused.json()).toMatchObject({ error: { code: "CONFLICT" } });
  });

  it("show this isolate's own writes at once", async () => {
    expect((await callInstance(stack, cast.alice, "own", "/")).status).toBe(200);
    await trpc(stack, cast.alice).installations.deactivate.mutate({ tenantId: "acme", instanceId: "own" });
    expect((await callInstance(stack, cast.alice, "own", "/")).status).toBe(409);
    await trpc(stack, cast.alice).installations.activate.mutate({ tenantId: "acme", instanceId: "own" });
    expect((await callInstance(stack, cast.alice, "own", "/")).status).toBe(200);
  });
});

describe("metrics samples", () => {
  it("reach the instance's Durable Object in batches, cut answers counted as limit hits", async () => {
    const calls = await Promise.all(Array.from({ length: 30 }, () => callInstance(stack, cast.alice, "counted", "/")));
    expect(calls.map((call) => call.status)).toEqual(Array(30).fill(200));
    const cut = await callInstance(stack, cast.alice, "counted", "/long");
    await cut.text().catch(() => "");
    const runtime = await eventually("31 calls and a limit hit recorded", async () => {
      const metrics = trpc(stack, cast.vera).installations.metrics.query({ tenantId: "acme", instanceId: "counted" });
      // The cut answer ended its connection, which the client's pool may try once more.
      const { runtime } = await metrics.catch(() => ({ runtime: null }));
      return runtime && runtime.requests >= 31 && runtime.limitHits >= 1 ? runtime : undefined;
    });
    expect(runtime).toMatchObject({ requests: 31, limitHits: 1, errors: 0 });
  });
});
