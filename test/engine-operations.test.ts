/**
 * The plugin engine's request path: `ANY /api/plugins/instances/:instanceId/*` through the
 * gateway and the service binding to the plugins worker, which loads the instance's server
 * module from R2 into a Dynamic Worker (the real Worker Loader of workerd) with capability
 * bindings only, and passes its answer on. Tenancy, identity, isolation between instances,
 * hot upgrades, and a hostile plugin's attempts on the network, the platform and its origin.
 */
import { ENGINE_CALL_HEADER, PLUGIN_REQUEST_HEADERS } from "@plugins/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import { expectError, install, publish, trpc } from "./helpers";
import {
  callInstance,
  type DnsRecord,
  installActive,
  publishServerPlugin,
  type Resolver,
  startResolver,
  startUpstream,
  type Upstream,
} from "./server-plugins";
import { type Stack, startStack } from "./stack";

const DEADLINE_MS = 1500;
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** A plugin written by hand in the loader's plain module format, with a route per probe. */
const PROBE = (version: string) => `
let calls = 0;
const huge = (declare) => {
  const chunk = new Uint8Array(1024 * 1024);
  let sent = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (sent++ >= 100) return controller.close();
      controller.enqueue(chunk);
    },
  });
  return new Response(body, { headers: declare ? { "content-length": String(100 * 1024 * 1024) } : {} });
};
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    calls++;
    switch (url.pathname) {
      case "/whoami":
        return Response.json({
          version: "${version}",
          plugin: env.PLUGIN,
          caller: env.CALLER,
          envKeys: Object.keys(env).sort(),
          calls,
          method: request.method,
          path: url.pathname,
          query: url.search,
          headers: Object.fromEntries(request.headers),
        });
      case "/counter": {
        const n = ((await env.STORAGE.get("n")) ?? 0) + 1;
        await env.STORAGE.put("n", n);
        return Response.json({ n });
      }
      case "/read": return Response.json({ value: await env.STORAGE.get(url.searchParams.get("key")) });
      case "/fetch": {
        try {
          const answer = await fetch(url.searchParams.get("url"));
          return Response.json({ status: answer.status, body: await answer.text() });
        } catch (error) {
          return Response.json({ error: String(error) });
        }
      }
      case "/echo":
        return new Response(request.body, { headers: { "content-type": request.headers.get("content-type") ?? "text/plain" } });
      case "/active-content":
        return new Response("<script>parent.stolen = document.cookie</script>", {
          headers: {
            "content-type": "text/html",
            "set-cookie": "session=planted; Path=/",
            "access-control-allow-origin": "*",
            "access-control-allow-credentials": "true",
            "x-request-id": "forged",
            "x-plugin-answer": "kept",
          },
        });
      case "/hang":
        await new Promise((resolve) => setTimeout(resolve, 3600000));
        return new Response("too late");
      case "/throw":
        throw new Error("upstream exploded");
      case "/garbage":
        return "not a response";
      case "/huge": return huge(false);
      case "/huge-declared": return huge(true);
      case "/recurse": {
        const down = (n) => down(n + 1) + 1;
        return Response.json({ n: down(0) });
      }
      case "/fill": {
        const big = "x".repeat(100 * 1024);
        try {
          for (let i = 0; i < 100; i++) await env.STORAGE.put("big-" + i, big);
          return Response.json({ filled: true });
        } catch (error) {
          return Response.json({ refused: String(error.message) });
        }
      }
      case "/flood": {
        for (let line = 0; line < 1000; line++) await env.LOG.write("info", "line " + line, { line });
        return Response.json({ flooded: 1000 });
      }
      case "/globals":
        return Response.json({
          process: typeof process,
          platformSecrets: ["DATABASE_URL", "INTERNAL_TOKEN_SECRET", "CONFIG_ENCRYPTION_KEY", "BUNDLES", "LOADER", "INSTANCE_STORES"].filter(
            (name) => name in env || name in globalThis,
          ),
        });
      default:
        return Response.json({ unknown: url.pathname }, { status: 404 });
    }
  },
};
`;

let stack: Stack;
let cast: Cast;
let upstream: Upstream;
let resolver: Resolver;

/** Public names (declared by the probe) that lead where plugins must not go, and one that does not. */
const REBINDING_ZONE: Record<string, DnsRecord[] | "fail"> = {
  "loopback.rebind.test": [{ type: 1, data: "127.0.0.1" }],
  "metadata.rebind.test": [{ type: 1, data: "169.254.169.254" }],
  "mixed.rebind.test": [
    { type: 1, data: "93.184.216.34" },
    { type: 28, data: "fd00::1" },
  ],
  "mapped.rebind.test": [{ type: 28, data: "::ffff:10.0.0.1" }],
  "alias.rebind.test": [
    { type: 5, data: "intranet.corp.example." },
    { type: 1, data: "192.168.1.10" },
  ],
  "broken.rebind.test": "fail",
  "public.rebind.test": [{ type: 1, data: "93.184.216.34" }],
};

/** The probe's upstream, and the names of the rebinding zone. */
const probePermissions = () => ({
  network: { hosts: [upstream.host, "*.rebind.test"] },
  storage: { quotaBytes: 1024 * 1024 },
});

beforeAll(async () => {
  upstream = await startUpstream();
  resolver = await startResolver(REBINDING_ZONE);
  stack = await startStack({
    pluginsBindings: {
      OUTBOUND_DNS_RESOLVER: resolver.url,
      OUTBOUND_PRIVATE_HOSTS: upstream.host,
      ENGINE_DEADLINE_MS: String(DEADLINE_MS),
      ENGINE_MAX_RESPONSE_BYTES: String(MAX_RESPONSE_BYTES),
    },
  });
  cast = await mintCast(stack);
  const permissions = probePermissions();
  await publishServerPlugin(stack, cast.alice, { id: "probe", server: PROBE("1.0.0"), permissions });
  await installActive(stack, cast.alice, "acme", "probe", "probe");
  await installActive(stack, cast.bob, "globex", "probe", "probe");
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await upstream?.stop();
  await resolver?.stop();
});

/** A 200 answer of the probe, as the shape its route writes (PROBE above). */
async function json<Answer>(response: Response): Promise<Answer> {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as Answer;
}

/** What PROBE's `/whoami` answers. */
interface WhoAmI {
  version: string;
  plugin: { pluginId: string; version: string; tenantId: string; instanceId: string; config: Record<string, unknown> };
  caller: { id: string; role: string; tenantId: string } | null;
  envKeys: string[];
  calls: number;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
}

describe("a call through the gateway", () => {
  it("reaches the instance's handler with the operation's path and query, the instance and the verified caller", async () => {
    const body = await json<WhoAmI>(await callInstance(stack, cast.vera, "probe", "/whoami?q=report"));
    expect(body).toMatchObject({
      version: "1.0.0",
      path: "/whoami",
      query: "?q=report",
      plugin: { pluginId: "probe", version: "1.0.0", tenantId: "acme", instanceId: "probe", config: {} },
      caller: { id: "vera", role: "viewer", tenantId: "acme" },
    });
    // Capabilities only: no platform binding, secret or variable.
    expect(body.envKeys).toEqual(["CALLER", "LOG", "PLUGIN", "STORAGE"]);
  });

  it("passes content negotiation on, and never the bearer token, cookies, forged identity or the caller's address", async () => {
    const body = await json<WhoAmI>(
      await callInstance(stack, cast.alice, "probe", "/whoami", {
        headers: {
          accept: "application/json",
          cookie: "session=1",
          "x-internal-identity": "forged",
          "x-user-id": "root",
          "x-tenant-id": "globex",
          "x-forwarded-for": "10.0.0.1",
        },
      }),
    );
    const allowed: readonly string[] = PLUGIN_REQUEST_HEADERS;
    expect(Object.keys(body.headers).filter((name) => !allowed.includes(name))).toEqual([]);
    expect(body.headers.accept).toBe("application/json");
    expect(JSON.stringify(body.headers)).not.toMatch(/Bearer|session|forged|root|10\.0\.0\.1/);
    // x-tenant-id from a non-admin changes nothing: the tenant is the token's.
    expect(body.plugin.tenantId).toBe("acme");
    expect(body.caller).toEqual({ id: "alice", role: "editor", tenantId: "acme" });
  });

  it("streams a request body to the plugin and its answer back", async () => {
    const response = await callInstance(stack, cast.alice, "probe", "/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ hello: "plugin" }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ hello: "plugin" });
  });

  it("keeps the platform's origin safe from the plugin's answer: no cookies, CORS or request id of its own, and inert content", async () => {
    const response = await callInstance(stack, cast.alice, "probe", "/active-content");
    expect(response.status).toBe(200);
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    expect(response.headers.get("access-control-allow-origin")).not.toBe("*");
    expect(response.headers.get("x-request-id")).not.toBe("forged");
    expect(response.headers.get("content-security-policy")).toContain("sandbox");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(response.headers.get("x-plugin-answer")).toBe("kept");
  });

  it("logs one line per call, the gateway's, naming the plugin and version that answered; a failed call adds the engine's", async () => {
    const answered = await callInstance(stack, cast.alice, "probe", "/whoami");
    expect(answered.status).toBe(200);
    expect(answered.headers.get(ENGINE_CALL_HEADER)).toBeNull();
    const failed = await callInstance(stack, cast.alice, "probe", "/throw");
    expect(failed.status).toBe(502);
    const linesOf = (response: Response) =>
      stack.logs().filter((line) => line.requestId === response.headers.get("x-request-id"));
    await expect.poll(() => linesOf(answered).length).toBeGreaterThan(0);
    await expect.poll(() => linesOf(failed).length).toBe(2);
    expect(linesOf(answered)).toEqual([
      expect.objectContaining({
        worker: "api",
        event: "request",
        status: 200,
        engine: { pluginId: "probe", version: "1.0.0", instanceId: "probe" },
      }),
    ]);
    expect(linesOf(failed)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ worker: "api", event: "request", status: 502 }),
        expect.objectContaining({ worker: "plugins", event: "plugin_request", level: "warn", pluginId: "probe" }),
      ]),
    );
  });

  it("answers the seed's URL shapes for an instance of their kind, and 404 for another kind", async () => {
    const search = await fetch(`${stack.url}/api/plugins/sources/probe/search?q=x`, {
      headers: { authorization: `Bearer ${cast.alice}` },
    });
    expect(search.status).toBe(404);
    expect(await search.json()).toMatchObject({ unknown: "/search" });
    const chat = await fetch(`${stack.url}/api/plugins/agents/probe/chat`, {
      method: "POST",
      headers: { authorization: `Bearer ${cast.alice}` },
    });
    expect(await expectError(chat, 404, "NOT_FOUND")).toContain("is not a agent plugin");
  });
});

describe("the registry of installable plugins by kind", () => {
  it("lists sources, agents and integrations by their latest version's kind", async () => {
    const sources = await fetch(`${stack.url}/api/plugins/registry/sources?limit=50`);
    expect(sources.status).toBe(200);
    const body = (await sources.json()) as { items: { id: string; kind: string }[]; nextCursor: string | null };
    expect(body.items).toEqual([expect.objectContaining({ id: "probe", kind: "source" })]);
    const agents = (await (await fetch(`${stack.url}/api/plugins/registry/agents`)).json()) as { items: unknown[] };
    expect(agents.items).toEqual([]);
  });

  it("answers an unknown collection 404 and a bad page 400", async () => {
    await expectError(await fetch(`${stack.url}/api/plugins/registry/widgets`), 404, "NOT_FOUND");
    await expectError(await fetch(`${stack.url}/api/plugins/registry/sources?limit=1000`), 400, "BAD_REQUEST");
    await expectError(await fetch(`${stack.url}/api/plugins/registry/sources?limit=ten`), 400, "BAD_REQUEST");
  });
});

describe("tenancy and state", () => {
  it("refuses a guest (401), and answers another tenant's instance 404, like one that does not exist", async () => {
    await expectError(await callInstance(stack, null, "probe", "/whoami"), 401, "UNAUTHORIZED");
    const gina = await json<WhoAmI>(await callInstance(stack, cast.gina, "probe", "/whoami"));
    expect(gina.plugin.tenantId).toBe("globex");
    await expectError(await callInstance(stack, cast.bob, "nope", "/whoami"), 404, "NOT_FOUND");
    const forAcme = await callInstance(stack, cast.root, "probe", "/whoami", { headers: { "x-tenant-id": "acme" } });
    expect((await json<WhoAmI>(forAcme)).plugin.tenantId).toBe("acme");
  });

  it("gives each instance its own storage and its own isolate: two tenants on one version share code, never state", async () => {
    const acme = await json<{ n: number }>(await callInstance(stack, cast.alice, "probe", "/counter"));
    await json<{ n: number }>(await callInstance(stack, cast.alice, "probe", "/counter"));
    const globex = await json<{ n: number }>(await callInstance(stack, cast.bob, "probe", "/counter"));
    expect(globex.n).toBe(1);
    expect(acme.n).toBeGreaterThanOrEqual(1);
    const acmeCalls = (await json<WhoAmI>(await callInstance(stack, cast.alice, "probe", "/whoami"))).calls;
    const globexCalls = (await json<WhoAmI>(await callInstance(stack, cast.bob, "probe", "/whoami"))).calls;
    expect(acmeCalls).toBeGreaterThan(globexCalls);
  });

  it("answers 409 for an instance that is not active, and 404 for an instance without a server module", async () => {
    const client = trpc(stack, cast.alice);
    await installActive(stack, cast.alice, "acme", "probe", "probe-stopped");
    await client.installations.deactivate.mutate({ tenantId: "acme", instanceId: "probe-stopped" });
    const stopped = await callInstance(stack, cast.alice, "probe-stopped", "/whoami");
    expect(await expectError(stopped, 409, "CONFLICT")).toContain("not active");

    await publish(stack, cast.alice, { id: "frontend-only", name: "Frontend only", version: "1.0.0", category: "ui" });
    await installActive(stack, cast.alice, "acme", "frontend-only", "frontend-only");
    const frontend = await callInstance(stack, cast.alice, "frontend-only", "/whoami");
    expect(await expectError(frontend, 404, "NOT_FOUND")).toContain("has no server module");
  });

  it("starts a new instance of a version already running from the module it checked, and refuses one whose module is gone", async () => {
    const server = `export default { fetch: () => new Response("shared") };`;
    await publishServerPlugin(stack, cast.alice, { id: "shared-code", server });
    await installActive(stack, cast.alice, "acme", "shared-code", "shared-first");
    expect(await (await callInstance(stack, cast.alice, "shared-first", "/")).text()).toBe("shared");
    await stack.bucket.delete("shared-code/1.0.0/server.js");
    await installActive(stack, cast.alice, "acme", "shared-code", "shared-second");
    const second = await callInstance(stack, cast.alice, "shared-second", "/");
    expect(await second.text()).toBe("shared");

    await publishServerPlugin(stack, cast.alice, { id: "shared-code", version: "2.0.0", server });
    await stack.bucket.delete("shared-code/2.0.0/server.js");
    // Its install runs the onInstall hook in a new isolate, which has no code to start.
    const third = await install(stack, cast.alice, "acme", { pluginId: "shared-code", instanceId: "shared-third" });
    expect(await expectError(third, 409, "CONFLICT")).toContain("server.js is missing from the bucket");
  });
});

describe("a blocked version", () => {
  it("never runs again, even in an isolate that is already loaded (410)", async () => {
    await publishServerPlugin(stack, cast.alice, { id: "doomed", server: PROBE("1.0.0") });
    await installActive(stack, cast.alice, "acme", "doomed", "doomed");
    expect((await json<WhoAmI>(await callInstance(stack, cast.alice, "doomed", "/whoami"))).version).toBe("1.0.0");
    await trpc(stack, cast.root).versions.block.mutate({ pluginId: "doomed", version: "1.0.0", reason: "malware" });
    const blocked = await callInstance(stack, cast.alice, "doomed", "/whoami");
    expect(await expectError(blocked, 410, "GONE")).toContain("doomed@1.0.0 was blocked");
  });
});

describe("a hot upgrade", () => {
  it("runs the new version's code on the next request, with no restart", async () => {
    await publishServerPlugin(stack, cast.alice, {
      id: "probe",
      version: "1.1.0",
      server: PROBE("1.1.0"),
      permissions: probePermissions(),
    });
    await installActive(stack, cast.alice, "acme", "probe", "probe-upgraded");
    const client = trpc(stack, cast.alice);
    const before = await json<WhoAmI>(await callInstance(stack, cast.alice, "probe-upgraded", "/whoami"));
    expect(before.version).toBe("1.1.0");
    const pinned = await client.installations.get.query({ tenantId: "acme", instanceId: "probe" });
    expect(pinned.version).toBe("1.0.0");
    expect((await json<WhoAmI>(await callInstance(stack, cast.alice, "probe", "/whoami"))).version).toBe("1.0.0");
    await client.installations.upgrade.mutate({ tenantId: "acme", instanceId: "probe", version: "1.1.0" });
    expect((await json<WhoAmI>(await callInstance(stack, cast.alice, "probe", "/whoami"))).version).toBe("1.1.0");
    // Its data survives the upgrade.
    expect(
      (await json<{ value: number | null }>(await callInstance(stack, cast.alice, "probe", "/read?key=n"))).value,
    ).toBeGreaterThanOrEqual(2);
  });
});

describe("a hostile plugin", () => {
  async function fetchFromPlugin(target: string) {
    return json<{ status: number; body: string }>(
      await callInstance(stack, cast.alice, "probe", `/fetch?url=${encodeURIComponent(target)}`),
    );
  }

  it("reaches its declared upstream through the outbound gateway", async () => {
    const answer = await fetchFromPlugin(`http://${upstream.host}/documents`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ path: "/documents" });
  });

  it("cannot reach an undeclared host, a loopback or metadata address, or a name of one", async () => {
    const before = upstream.requests.length;
    for (const target of [
      "https://undeclared.example.com/",
      `http://127.0.0.1:${upstream.port}/`,
      "http://169.254.169.254/latest/meta-data/",
      `http://[::1]:${upstream.port}/`,
      `http://localhost:${upstream.port + 1}/`,
      `http://api.localhost:${upstream.port}/`,
    ]) {
      const answer = await fetchFromPlugin(target);
      expect(answer.status, target).toBe(403);
      expect(answer.body, target).toContain("Refused by the plugin platform");
    }
    expect(upstream.requests.length).toBe(before);
  });

  it("cannot reach a private address through a public name it declares, whatever the name's records", async () => {
    const before = upstream.requests.length;
    const refusals: Record<string, string> = {
      "loopback.rebind.test": "127.0.0.1 (loopback)",
      "metadata.rebind.test": "169.254.169.254 (linkLocal)",
      "mixed.rebind.test": "fd00::1 (uniqueLocal)",
      "mapped.rebind.test": "::ffff:10.0.0.1 (private)",
      "alias.rebind.test": "192.168.1.10 (private)",
      "broken.rebind.test": "could not be resolved (the resolver answered 500)",
      "nowhere.rebind.test": "resolves to no address",
    };
    for (const [name, reason] of Object.entries(refusals)) {
      const answer = await fetchFromPlugin(`http://${name}/`);
      expect(answer.status, name).toBe(403);
      expect(answer.body, name).toContain(reason);
    }
    expect(upstream.requests.length).toBe(before);
    // A name that leads to public addresses only is let through (and fails here, with no internet).
    const passed = await callInstance(
      stack,
      cast.alice,
      "probe",
      `/fetch?url=${encodeURIComponent("https://public.rebind.test/")}`,
    );
    expect(await passed.json()).not.toMatchObject({ status: 403 });
    expect(resolver.questions).toEqual(expect.arrayContaining(["public.rebind.test 1", "public.rebind.test 28"]));
  });

  it("finds no platform secret, binding or Node global in its env or globals", async () => {
    const body = await json<{ process: string; platformSecrets: string[] }>(
      await callInstance(stack, cast.alice, "probe", "/globals"),
    );
    expect(body).toEqual({ process: "undefined", platformSecrets: [] });
  });

  it("is cut at the deadline when an await never ends (504), and the next call answers", async () => {
    const started = Date.now();
    const hung = await callInstance(stack, cast.alice, "probe", "/hang");
    expect(await expectError(hung, 504, "GATEWAY_TIMEOUT")).toContain(`${DEADLINE_MS} ms`);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 5000);
    expect((await json<WhoAmI>(await callInstance(stack, cast.alice, "probe", "/whoami"))).version).toBeDefined();
  });

  it("throwing, answering garbage or recursing without end is its own call's 502, with its message and no platform stack", async () => {
    const thrown = await expectError(await callInstance(stack, cast.alice, "probe", "/throw"), 502, "BAD_GATEWAY");
    expect(thrown).toContain("upstream exploded");
    expect(thrown).not.toMatch(/at .*\.js:\d+/);
    await expectError(await callInstance(stack, cast.alice, "probe", "/garbage"), 502, "BAD_GATEWAY");
    await expectError(await callInstance(stack, cast.alice, "probe", "/recurse"), 502, "BAD_GATEWAY");
    const other = await json<WhoAmI>(await callInstance(stack, cast.bob, "probe", "/whoami"));
    expect(other.plugin.tenantId).toBe("globex");
  });

  it("slows only its own calls: while it hangs and floods its log, another instance answers concurrent calls", async () => {
    let hangsSettled = false;
    const hanging = Array.from({ length: 4 }, () => callInstance(stack, cast.alice, "probe", "/hang"));
    void Promise.all(hanging).then(() => {
      hangsSettled = true;
    });
    const flooding = callInstance(stack, cast.alice, "probe", "/flood");
    const others = await Promise.all(
      Array.from({ length: 10 }, () => callInstance(stack, cast.bob, "probe", "/whoami").then(json<WhoAmI>)),
    );
    // All answered while the hanging calls still waited for the deadline.
    expect(hangsSettled).toBe(false);
    expect(others.every((answer) => answer.plugin.tenantId === "globex")).toBe(true);
    expect((await json<{ flooded: number }>(await flooding)).flooded).toBe(1000);
    for (const call of hanging) await expectError(await call, 504, "GATEWAY_TIMEOUT");
  });

  it("cannot store more than its quota: the put is refused in the plugin, and what it stored stays", async () => {
    const answer = await json<{ filled?: true; refused?: string }>(
      await callInstance(stack, cast.bob, "probe", "/fill"),
    );
    expect(answer.refused).toMatch(/^storage quota of 1048576 bytes exceeded/);
    expect(
      (await json<{ value: number | null }>(await callInstance(stack, cast.bob, "probe", "/read?key=n"))).value,
    ).toBe(1);
  });
  // Last: a cut answer ends its connection, which a request reusing it would see.
  it("cannot send more than the response limit: refused when declared, cut when streamed", async () => {
    await expectError(await callInstance(stack, cast.alice, "probe", "/huge-declared"), 502, "BAD_GATEWAY");
    const streamed = await callInstance(stack, cast.alice, "probe", "/huge");
    const received = await streamed
      .arrayBuffer()
      .then((bytes) => bytes.byteLength)
      .catch(() => 0);
    expect(received).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
  });
});
