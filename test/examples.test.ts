/**
 * The example plugins of examples/, built as their READMEs say (examples/build.ts) and published
 * through the API like any plugin: a source that syncs documents from an upstream on 127.0.0.1,
 * reached through the manifest's hosts with the instance's secret token, and answers listing and
 * search from its storage; and an agent whose chat keeps each conversation in instance storage
 * and exposes the functions it calls.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentFunction } from "../examples/agent-chat/functions";
import type { FunctionCall, Turn } from "../examples/agent-chat/model";
import { buildExample } from "../examples/build";
import type { SearchHit } from "../examples/source-documents/search";
import { publishFields, tarGz } from "./archive-fixtures";
import { type Cast, mintCast } from "./cast";
import { install, present, trpc } from "./helpers";
import { callInstance } from "./server-plugins";
import { type Stack, startStack } from "./stack";

const API_TOKEN = "upstream-token-7f3e9a1c";

interface UpstreamDocument {
  id: string;
  title: string;
  body: string;
  updatedAt: string;
}

const DOCUMENTS: UpstreamDocument[] = [
  { id: "d1", title: "Quarterly report", body: "Revenue grew in the third quarter", updatedAt: "2026-10-01" },
  { id: "d2", title: "Roadmap", body: "Search lands in June, then the quarterly planning", updatedAt: "2026-10-02" },
  { id: "d3", title: "Onboarding", body: "How to set up a laptop", updatedAt: "2026-10-03" },
];

/** The upstream API the source syncs: pages of two documents, only for the right bearer token. */
interface DocumentsUpstream {
  /** `localhost:<port>`, as the manifest declares it and OUTBOUND_PRIVATE_HOSTS lets it through. */
  host: string;
  port: number;
  documents: UpstreamDocument[];
  /** The `authorization` header of every request, in order. */
  authorizations: (string | undefined)[];
  stop(): Promise<void>;
}

async function startDocumentsUpstream(): Promise<DocumentsUpstream> {
  const upstream = { documents: [...DOCUMENTS], authorizations: [] as (string | undefined)[] };
  const server: Server = createServer((request, response) => {
    upstream.authorizations.push(request.headers.authorization);
    const url = new URL(request.url ?? "/", "http://upstream");
    response.setHeader("content-type", "application/json");
    if (request.headers.authorization !== `Bearer ${API_TOKEN}`) {
      response.statusCode = 401;
      return response.end(JSON.stringify({ error: "unknown token" }));
    }
    if (url.pathname !== "/documents") {
      response.statusCode = 404;
      return response.end(JSON.stringify({ error: "no such path" }));
    }
    const start = Number(url.searchParams.get("cursor") ?? "0");
    const documents = upstream.documents.slice(start, start + 2);
    const nextCursor = start + 2 < upstream.documents.length ? String(start + 2) : null;
    response.end(JSON.stringify({ documents, nextCursor }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(upstream, {
    host: `localhost:${port}`,
    port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

let stack: Stack;
let cast: Cast;
let upstream: DocumentsUpstream;

beforeAll(async () => {
  upstream = await startDocumentsUpstream();
  stack = await startStack({ pluginsBindings: { OUTBOUND_PRIVATE_HOSTS: upstream.host } });
  cast = await mintCast(stack);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await upstream?.stop();
});

/** Builds an example, publishes its folder as a tar.gz, and answers the upload's body. */
async function publishExample(...[name, options]: Parameters<typeof buildExample>) {
  const { files } = await buildExample(name, options);
  return publishFields(stack, { token: cast.alice, file: await tarGz(files) });
}

/** Installs an instance, active unless the body says otherwise, and answers the status and the body's text. */
async function installFor(token: string, tenant: string, body: Record<string, unknown>) {
  const response = await install(stack, token, tenant, { activate: true, ...body });
  return { status: response.status, text: await response.text() };
}

/** A JSON answer of one of the example plugins, at `status`, as the shape its server writes. */
async function json<Answer>(response: Response, status = 200): Promise<Answer> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as Answer;
}

/*
 * What the example plugins answer (examples/source-documents/server.ts, examples/agent-chat/server.ts).
 */
interface Listing {
  documents: Pick<UpstreamDocument, "id" | "title" | "updatedAt">[];
  syncedAt: string;
}
interface SearchAnswer {
  query: string;
  results: SearchHit[];
}
interface SyncReport {
  documents: number;
  added: number;
  updated: number;
  removed: number;
}
interface ChatAnswer {
  reply: string;
  functionCall: FunctionCall | null;
  turns: number;
}
interface History {
  turns: Turn[];
}
interface FunctionList {
  functions: Pick<AgentFunction, "name" | "description" | "parameters">[];
}
interface FunctionResult {
  name: string;
  result: unknown;
}
interface PluginRefusal {
  error: { code: string; message: string };
}

/** A plugin's own refusal: the platform's envelope, but for the request id, which a plugin is never told. */
async function pluginError(response: Response, status: number, code: string): Promise<string> {
  const body = await json<PluginRefusal>(response, status);
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toBe(code);
  return body.error.message;
}

function source(token: string, instanceId: string, operation: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  return fetch(`${stack.url}/api/plugins/sources/${instanceId}/${operation}`, { ...init, headers });
}

function agent(token: string, instanceId: string, operation: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  return fetch(`${stack.url}/api/plugins/agents/${instanceId}/${operation}`, { ...init, headers });
}

function chat(token: string, instanceId: string, message: unknown) {
  return agent(token, instanceId, "chat", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message }),
  });
}

describe("the source example (examples/source-documents)", () => {
  const texts: string[] = [];
  let installationId: string;

  beforeAll(async () => {
    // A publisher names its own upstream's host; this one is the test's.
    const published = await publishExample("source-documents", {
      manifest: (manifest) => ({
        ...manifest,
        permissions: { ...(manifest.permissions as object), network: { hosts: [upstream.host] } },
      }),
    });
    expect(published).toMatchObject({ version: "1.0.0" });
    const installed = await installFor(cast.alice, "acme", {
      pluginId: "source-documents",
      instanceId: "docs",
      config: { upstream: `http://${upstream.host}`, apiToken: API_TOKEN },
    });
    expect(installed.status, installed.text).toBe(201);
    texts.push(installed.text);
    installationId = JSON.parse(installed.text).id;
  });

  it("syncs on activation through the allowlist, sending its secret token upstream, and lists from storage", async () => {
    // Two pages of the upstream, each fetched with the bearer token.
    expect(upstream.authorizations).toEqual([`Bearer ${API_TOKEN}`, `Bearer ${API_TOKEN}`]);
    const listed = await json<Listing>(await source(cast.alice, "docs", "documents"));
    expect(listed.documents).toEqual(DOCUMENTS.map(({ id, title, updatedAt }) => ({ id, title, updatedAt })));
    expect(Date.parse(listed.syncedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(await json<UpstreamDocument>(await callInstance(stack, cast.vera, "docs", "/documents/d2"))).toEqual(
      DOCUMENTS[1],
    );
    const missing = await callInstance(stack, cast.alice, "docs", "/documents/nope");
    expect(await pluginError(missing, 404, "NOT_FOUND")).toBe('no document "nope"');
    texts.push(JSON.stringify(listed));
  });

  it("searches the stored documents for every word of ?q=, title matches first, and refuses a missing q", async () => {
    const found = await json<SearchAnswer>(await source(cast.vera, "docs", "search?q=Quarterly"));
    expect(found.results.map((hit: { id: string }) => hit.id)).toEqual(["d1", "d2"]);
    expect(found.results[1]?.snippet).toContain("quarterly planning");
    const both = await json<SearchAnswer>(await source(cast.alice, "docs", "search?q=search%20june"));
    expect(both.results.map((hit: { id: string }) => hit.id)).toEqual(["d2"]);
    expect((await json<SearchAnswer>(await source(cast.alice, "docs", "search?q=nowhere"))).results).toEqual([]);
    const refused = await source(cast.alice, "docs", "search");
    expect(await pluginError(refused, 400, "BAD_REQUEST")).toBe("q: is required, the words to search for");
    texts.push(JSON.stringify(found));
  });

  it("syncs on POST …/sync: new, changed and removed documents; a viewer may not (403)", async () => {
    upstream.documents = [
      { ...(DOCUMENTS[0] as UpstreamDocument), body: "Revenue fell", updatedAt: "2026-11-01" },
      DOCUMENTS[1] as UpstreamDocument,
      { id: "d4", title: "Holidays", body: "The office closes in December", updatedAt: "2026-11-02" },
    ];
    await pluginError(await source(cast.vera, "docs", "sync", { method: "POST" }), 403, "FORBIDDEN");
    const report = await json<SyncReport>(await source(cast.alice, "docs", "sync", { method: "POST" }));
    expect(report).toMatchObject({ documents: 3, added: 1, updated: 1, removed: 1 });
    const listed = await json<Listing>(await source(cast.alice, "docs", "documents"));
    expect(listed.documents.map((document: { id: string }) => document.id)).toEqual(["d1", "d2", "d4"]);
    expect((await json<SearchAnswer>(await source(cast.alice, "docs", "search?q=december"))).results[0]?.id).toBe("d4");
    expect(upstream.authorizations.every((header) => header === `Bearer ${API_TOKEN}`)).toBe(true);
    texts.push(JSON.stringify(report));
  });

  it("runs its sync schedule when due, recorded ok in installations.schedule", async () => {
    const client = trpc(stack, cast.alice);
    const { tasks } = await client.installations.schedule.query({ tenantId: "acme", instanceId: "docs" });
    expect(tasks.map((task) => [task.name, task.cron])).toEqual([["sync", "*/15 * * * *"]]);
    const due = tasks[0]?.nextAt ?? 0;
    upstream.documents = [...upstream.documents, { id: "d5", title: "Minutes", body: "Nothing", updatedAt: "x" }];
    const namespace = await stack.mf.getDurableObjectNamespace("INSTANCE_STORES", "plugins");
    const store = namespace.get(namespace.idFromName(installationId)) as unknown as {
      runDueTasks(now: number): Promise<void>;
    };
    await store.runDueTasks(due);
    const listed = await json<Listing>(await source(cast.alice, "docs", "documents"));
    expect(listed.documents.map((document: { id: string }) => document.id)).toEqual(["d1", "d2", "d4", "d5"]);
    const { runs } = await client.installations.schedule.query({ tenantId: "acme", instanceId: "docs" });
    expect(runs).toEqual([expect.objectContaining({ name: "sync", scheduledAt: due, outcome: "ok", error: null })]);
  });

  it("refuses an activation whose token the upstream turns down, or whose upstream the manifest does not declare (409), storing nothing", async () => {
    const before = upstream.authorizations.length;
    const snapshot = await stack.snapshot();
    const wrongToken = await installFor(cast.alice, "acme", {
      pluginId: "source-documents",
      instanceId: "docs-wrong-token",
      config: { upstream: `http://${upstream.host}`, apiToken: "not-the-token" },
    });
    expect(wrongToken.status, wrongToken.text).toBe(409);
    expect(wrongToken.text).toContain("onActivate hook threw: the upstream refused the apiToken (401)");
    expect(upstream.authorizations.slice(before)).toEqual(["Bearer not-the-token"]);

    const undeclared = await installFor(cast.alice, "acme", {
      pluginId: "source-documents",
      instanceId: "docs-undeclared",
      config: { upstream: `http://127.0.0.1:${upstream.port}`, apiToken: API_TOKEN },
    });
    expect(undeclared.status, undeclared.text).toBe(409);
    expect(undeclared.text).toContain("onActivate hook threw: Refused by the plugin platform");
    expect(upstream.authorizations.length).toBe(before + 1);
    expect(await stack.snapshot()).toEqual(snapshot);
  });

  it("never shows the secret token in an API answer", async () => {
    const headers = { authorization: `Bearer ${cast.alice}`, "x-tenant-id": "acme" };
    const instance = await trpc(stack, cast.alice).installations.get.query({ tenantId: "acme", instanceId: "docs" });
    expect(instance).toMatchObject({ config: { upstream: `http://${upstream.host}` }, secretsSet: ["apiToken"] });
    const stored = await trpc(stack, cast.root).installations.exportStorage.query({
      tenantId: "acme",
      instanceId: "docs",
    });
    expect(stored.entries.map((entry: { key: string }) => entry.key)).toContain("doc:d1");
    const answers = [
      ...texts,
      await (await fetch(`${stack.url}/api/plugins/status/docs`, { headers })).text(),
      await (await fetch(`${stack.url}/api/tenants/acme/plugins/manifest`, { headers })).text(),
      JSON.stringify(instance),
      JSON.stringify(stored),
    ];
    for (const answer of answers) expect(answer).not.toContain(API_TOKEN);
  });
});

describe("the agent example (examples/agent-chat)", () => {
  beforeAll(async () => {
    await publishExample("agent-chat");
    for (const instanceId of ["assistant", "helper"]) {
      const installed = await installFor(cast.alice, "acme", { pluginId: "agent-chat", instanceId });
      expect(installed.status, installed.text).toBe(201);
    }
  });

  it("answers chat and keeps the conversation across calls, one per instance and per caller", async () => {
    expect(await json<ChatAnswer>(await chat(cast.alice, "assistant", "hello there"))).toMatchObject({
      reply: expect.stringMatching(/^Hello! /),
      functionCall: null,
      turns: 1,
    });
    expect(await json<ChatAnswer>(await chat(cast.alice, "assistant", "what did I say?"))).toMatchObject({
      reply: 'You said: "hello there"',
      turns: 2,
    });
    const history = await json<History>(await agent(cast.alice, "assistant", "chat"));
    expect(history.turns.map((turn: { message: string }) => turn.message)).toEqual(["hello there", "what did I say?"]);
    const [older, newer] = history.turns;
    expect(present(older, "the first turn").at).toBeLessThan(present(newer, "the second turn").at);

    // Another instance of the same plugin, and another caller of this one, start afresh.
    expect(await json<ChatAnswer>(await chat(cast.alice, "helper", "what did I say?"))).toMatchObject({
      reply: "You have not said anything before.",
      turns: 1,
    });
    expect((await json<History>(await agent(cast.carol, "assistant", "chat"))).turns).toEqual([]);
    expect((await json<History>(await agent(cast.alice, "assistant", "chat"))).turns).toHaveLength(2);
  });

  it("calls its clock function when asked the time, and records the call in the conversation", async () => {
    const before = Date.now();
    const answer = await json<ChatAnswer>(await chat(cast.vera, "assistant", "What time is it?"));
    expect(answer.functionCall).toMatchObject({ name: "clock", arguments: {} });
    // What examples/agent-chat/functions.ts's clock returns.
    const clock = present(answer.functionCall, "the clock call").result as { now: string; date: string; time: string };
    const now = Date.parse(clock.now);
    expect(now).toBeGreaterThanOrEqual(before - 60_000);
    expect(now).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(answer.reply).toBe(`It is ${clock.time} UTC on ${clock.date}.`);
    const counted = await json<ChatAnswer>(await chat(cast.vera, "assistant", "count the words in: one two  three"));
    expect(counted).toMatchObject({ reply: "That is 3 words.", functionCall: { name: "word_count" } });
    const [first] = (await json<History>(await agent(cast.vera, "assistant", "chat"))).turns;
    expect(first?.functionCall).toEqual(answer.functionCall);
  });

  it("lists its functions with their JSON-schema parameters, and runs one by name", async () => {
    const { functions } = await json<FunctionList>(await agent(cast.alice, "assistant", "functions"));
    expect(functions.map((fn: { name: string }) => fn.name)).toEqual(["clock", "word_count"]);
    expect(functions[1]).toMatchObject({
      description: expect.any(String),
      parameters: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    });
    const run = await callInstance(stack, cast.alice, "assistant", "/functions/word_count", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "a b c d" }),
    });
    expect(await json<FunctionResult>(run)).toEqual({ name: "word_count", result: { words: 4 } });
    const clock = await json<FunctionResult>(
      await callInstance(stack, cast.alice, "assistant", "/functions/clock", { method: "POST" }),
    );
    expect(clock).toMatchObject({ name: "clock", result: { timeZone: "UTC" } });
  });

  it("refuses a bad message or bad arguments with a 400 naming the field, and an unknown function 404", async () => {
    expect(await pluginError(await chat(cast.alice, "helper", ""), 400, "BAD_REQUEST")).toContain(
      "message: is required",
    );
    expect(await pluginError(await chat(cast.alice, "helper", "x".repeat(2001)), 400, "BAD_REQUEST")).toBe(
      "message: is longer than 2000 characters",
    );
    const call = (name: string, body: string) =>
      callInstance(stack, cast.alice, "helper", `/functions/${name}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    expect(await pluginError(await call("word_count", "{}"), 400, "BAD_REQUEST")).toBe(
      "arguments.text: is required by word_count",
    );
    expect(await pluginError(await call("word_count", '{"text": 3}'), 400, "BAD_REQUEST")).toBe(
      "arguments.text: must be a string",
    );
    expect(await pluginError(await call("clock", '{"zone": "CET"}'), 400, "BAD_REQUEST")).toBe(
      "arguments.zone: is not a parameter of clock",
    );
    expect(await pluginError(await call("word_count", "{nope"), 400, "BAD_REQUEST")).toContain("as JSON");
    expect(await pluginError(await call("launch", "{}"), 404, "NOT_FOUND")).toBe(
      'no function "launch": the agent has clock, word_count',
    );
    // None of it was kept as a turn.
    expect((await json<History>(await agent(cast.alice, "helper", "chat"))).turns).toHaveLength(1);
  });

  it("answers 409 once the conversation fills the storage quota, and DELETE …/chat clears it", async () => {
    await publishExample("agent-chat", {
      manifest: (manifest) => ({
        ...manifest,
        id: "agent-chat-small",
        permissions: { ...(manifest.permissions as object), storage: { quotaBytes: 4096 } },
      }),
    });
    const installed = await installFor(cast.alice, "acme", { pluginId: "agent-chat-small", instanceId: "small" });
    expect(installed.status, installed.text).toBe(201);
    let answer = await chat(cast.alice, "small", "y".repeat(1500));
    for (let turns = 1; answer.status === 200 && turns < 10; turns++)
      answer = await chat(cast.alice, "small", "z".repeat(1500));
    expect(await pluginError(answer, 409, "CONFLICT")).toMatch(
      /^the conversation is full \(storage quota of 4096 bytes/,
    );
    const cleared = await json<{ deleted: number }>(await agent(cast.alice, "small", "chat", { method: "DELETE" }));
    expect(cleared.deleted).toBeGreaterThan(0);
    expect((await json<History>(await agent(cast.alice, "small", "chat"))).turns).toEqual([]);
    expect((await json<ChatAnswer>(await chat(cast.alice, "small", "hi"))).turns).toBe(1);
  });
});
