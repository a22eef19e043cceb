/**
 * Server-side plugins as the engine tests publish and install them: a built folder (the
 * browser entry, plugin.json) with a server module, and an upstream on 127.0.0.1 that a
 * plugin reaches through its declared hosts.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import { pluginFolder, publishFields, tarGz, utf8 } from "./archive-fixtures";
import { install } from "./helpers";
import type { Stack } from "./stack";

export interface ServerPlugin {
  id: string;
  version?: string;
  kind?: "source" | "agent" | "integration";
  /** The server module's source: a plain module (`export default { fetch, onInstall, … }`). */
  server: string;
  permissions?: Record<string, unknown>;
  /** More fields of plugin.json. */
  manifest?: Record<string, unknown>;
}

/** Publishes the plugin as a tar.gz of a built folder with `server.js`. */
export async function publishServerPlugin(stack: Stack, token: string, plugin: ServerPlugin) {
  const files = [
    ...pluginFolder({
      id: plugin.id,
      version: plugin.version ?? "1.0.0",
      kind: plugin.kind ?? "source",
      server: "server.js",
      ...(plugin.permissions ? { permissions: plugin.permissions } : {}),
      ...plugin.manifest,
    }),
    { path: "server.js", bytes: utf8(plugin.server) },
  ];
  return publishFields(stack, { token, file: await tarGz(files) });
}

/** Installs `pluginId` for `tenant` as `instanceId`, active, and insists on success. */
export async function installActive(stack: Stack, token: string, tenant: string, pluginId: string, instanceId: string) {
  const response = await install(stack, token, tenant, { pluginId, instanceId, activate: true });
  const body = await response.text();
  expect(response.status, body).toBe(201);
  return JSON.parse(body) as { id: string; instanceId: string; version: string; status: string };
}

/** Calls an instance's operation through the gateway. */
export function callInstance(
  stack: Stack,
  token: string | null,
  instanceId: string,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  return fetch(`${stack.url}/api/plugins/instances/${instanceId}${path}`, { ...init, headers });
}

export interface Upstream {
  /** `localhost:<port>`, as a manifest declares it and OUTBOUND_PRIVATE_HOSTS lets it through. */
  host: string;
  port: number;
  /** Paths requested so far, in order. */
  requests: string[];
  stop(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 answering `{ path, documents }` as JSON: what a source plugin lists and searches. */
export async function startUpstream(): Promise<Upstream> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(request.url ?? "");
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ path: request.url, documents: [{ id: "d1", title: "Quarterly report" }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `localhost:${port}`,
    port,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A DNS answer record as DNS-over-HTTPS JSON gives it: A is type 1, AAAA 28, CNAME 5. */
export interface DnsRecord {
  type: 1 | 5 | 28;
  data: string;
}

export interface Resolver {
  /** The endpoint, as OUTBOUND_DNS_RESOLVER names it. */
  url: string;
  /** `name type` of every question asked, in order. */
  questions: string[];
  stop(): Promise<void>;
}

/**
 * A DNS-over-HTTPS resolver (the JSON form) on 127.0.0.1 answering from `zone`: a name it
 * lacks is NXDOMAIN, and a name whose records are "fail" makes it answer 500.
 */
export async function startResolver(zone: Record<string, DnsRecord[] | "fail">): Promise<Resolver> {
  const questions: string[] = [];
  const server: Server = createServer((request, response) => {
    const query = new URL(request.url ?? "/", "http://resolver").searchParams;
    const name = query.get("name") ?? "";
    const type = Number(query.get("type"));
    questions.push(`${name} ${type}`);
    const records = zone[name];
    if (records === "fail") {
      response.statusCode = 500;
      response.end("resolver down");
      return;
    }
    response.setHeader("content-type", "application/dns-json");
    const answer = (records ?? []).filter((record) => record.type === type || record.type === 5);
    response.end(
      JSON.stringify({
        Status: records ? 0 : 3,
        Answer: answer.map((record) => ({ name, type: record.type, TTL: 60, data: record.data })),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/dns-query`,
    questions,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
