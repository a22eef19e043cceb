import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bearer, expectNothingChanged, expectTrpcShape } from "./attack-helpers";
import { pluginMetadata, present, roomInRateLimitWindow, upload } from "./helpers";
import { type Stack, startStack } from "./stack";

let stack: Stack;
/** BUNDLE_DOWNLOADS_PER_CALL of workers/api/src/cdn/bundle-budget.ts: downloads per call to the binding. */
const BUNDLE_DOWNLOADS_PER_CALL = 10;

beforeAll(async () => {
  stack = await startStack({ rateLimits: { write: 3, read: 5, bundle: 2 } });
});
afterAll(() => stack?.stop());
// Every test here spends a budget within one 60 s window (bundle ones: a 10 s one, below).
beforeEach(() => roomInRateLimitWindow(60, 12));

async function exhaust(request: () => Promise<Response>, budget: number): Promise<Response> {
  for (let sent = 0; sent < budget; sent++) expect((await request()).status).not.toBe(429);
  return request();
}

function expectTooMany(response: Response, period: number) {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(period);
}

/**
 * Downloads until refused, past the budget: counting happens after each answer, so the
 * refusal may trail the budget by a binding call's worth of downloads.
 */
async function downloadUntilRefused(download: () => Promise<Response>): Promise<Response> {
  let refused: Response | undefined;
  for (let extra = 0; extra < BUNDLE_DOWNLOADS_PER_CALL + 5 && !refused; extra++) {
    const response = await download();
    if (response.status === 429) refused = response;
  }
  expectTooMany(present(refused), 10);
  return present(refused);
}

describe("rate limits", () => {
  it("answers 429 with Retry-After once a signed-in user spends the write budget, in the envelope", async () => {
    const token = await stack.token({ sub: "writer", role: "editor", tenant: "acme" });
    const write = () =>
      fetch(`${stack.url}/api/plugins/install`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "x-tenant-id": "acme", "content-type": "application/json" },
        body: JSON.stringify({ pluginId: "missing" }),
      });
    const refused = await exhaust(write, 3);
    expectTooMany(refused, 60);
    const body = (await refused.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe("TOO_MANY_REQUESTS");
    expect(body.error.requestId).toBe(refused.headers.get("x-request-id"));
  });

  it("counts reads separately from writes, per IP for guests", async () => {
    const refused = await exhaust(
      () => fetch(`${stack.url}/trpc/health.check`, { headers: { "cf-connecting-ip": "198.51.100.7" } }),
      5,
    );
    expectTooMany(refused, 60);
    // Another address still has its whole budget.
    const other = await fetch(`${stack.url}/trpc/health.check`, { headers: { "cf-connecting-ip": "198.51.100.8" } });
    expect(other.status).toBe(200);
  });

  it("gives bundle downloads their own budget, counted off the hot path, refused with CORS headers", async () => {
    await roomInRateLimitWindow(10, 6);
    const headers = { "cf-connecting-ip": "203.0.113.9" };
    const download = () => fetch(`${stack.url}/plugins/bundles/none/v1.0.0/index.js`, { headers });
    // A budget of 2 binding calls, each standing for BUNDLE_DOWNLOADS_PER_CALL downloads.
    const budget = 2 * BUNDLE_DOWNLOADS_PER_CALL;
    for (let sent = 0; sent < budget; sent++) expect((await download()).status).toBe(404);
    const refused = await downloadUntilRefused(download);
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
    // The API read budget of the same address is untouched.
    expect((await fetch(`${stack.url}/trpc/health.check`, { headers })).status).toBe(200);
  });

  it("records the CF-Connecting-IP Cloudflare sets in the audit log (trusted, as in production)", async () => {
    await createTokenFrom(stack, "audited-writer", "192.0.2.10");
    expect(await auditedAddresses(stack, "audited-writer")).toEqual(["192.0.2.10"]);
  });

  it("refuses a client over its bundle budget a file every isolate holds in memory, too", async () => {
    const token = await stack.token({ sub: "hot-publisher", role: "editor" });
    const published = await upload(stack, {
      token,
      metadata: pluginMetadata({ id: "hot-file" }),
      headers: { "cf-connecting-ip": "192.0.2.77" },
    });
    expect(published.status).toBe(201);
    const headers = { "cf-connecting-ip": "203.0.113.44" };
    await roomInRateLimitWindow(10, 6);
    const download = () => fetch(`${stack.url}/plugins/bundles/hot-file/v1.0.0/bundle.js`, { headers });
    const budget = 2 * BUNDLE_DOWNLOADS_PER_CALL;
    for (let sent = 0; sent < budget; sent++) expect((await download()).status).toBe(200);
    const refused = await downloadUntilRefused(download);
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
    expect(refused.headers.get("x-request-id")).toBeTruthy();
    // Another address still downloads it.
    const other = await fetch(`${stack.url}/plugins/bundles/hot-file/v1.0.0/bundle.js`, {
      headers: { "cf-connecting-ip": "203.0.113.45" },
    });
    expect(other.status).toBe(200);
  });
});

describe("the per-IP budget comes before any token is redeemed, and each request counts once", () => {
  /** Index and sequential scans of publish_tokens so far (the server's statistics, flushed as sessions end). */
  async function publishTokenScans(): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const { rows } = await stack.db.query<{ scans: string }>(
      "select coalesce(seq_scan, 0) + coalesce(idx_scan, 0) as scans from pg_stat_user_tables where relname = 'publish_tokens'",
    );
    return Number(rows[0]?.scans ?? 0);
  }

  const bogusPublishToken = () => `Bearer ppt_${crypto.randomUUID().replaceAll("-", "")}`;

  it("20 bogus publish tokens from one address: 401 for the read budget's 5, then 429 without asking the database", async () => {
    const before = await publishTokenScans();
    const statuses: number[] = [];
    for (let sent = 0; sent < 20; sent++) {
      const response = await fetch(`${stack.url}/api/plugins/x/bundle`, {
        redirect: "manual",
        headers: { authorization: bogusPublishToken(), "cf-connecting-ip": "198.51.100.60" },
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(15).fill(429)]);
    expect((await publishTokenScans()) - before).toBeLessThanOrEqual(5);
  });

  it("the same on /trpc: a bogus publish token spends the address's budget before it is redeemed", async () => {
    const statuses: number[] = [];
    for (let sent = 0; sent < 8; sent++) {
      const response = await fetch(`${stack.url}/trpc/health.check`, {
        headers: { authorization: bogusPublishToken(), "cf-connecting-ip": "198.51.100.61" },
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(3).fill(429)]);
  });

  it.each([
    ["GET /api/plugins/:id/bundle", "/api/plugins/x/bundle", "198.51.100.62"],
    ["a floating bundle reference", "/plugins/bundles/x@latest", "198.51.100.63"],
  ])("a guest's %s counts once against the read budget", async (_, path, ip) => {
    const refused = await exhaust(async () => {
      const response = await fetch(`${stack.url}${path}`, { redirect: "manual", headers: { "cf-connecting-ip": ip } });
      await response.arrayBuffer();
      return response;
    }, 5);
    expectTooMany(refused, 60);
  });
});

/** Mints a publish token as `sub`, sending `ip` as CF-Connecting-IP: one write, one audit entry. */
async function createTokenFrom(target: Stack, sub: string, ip: string) {
  const token = await target.token({ sub, role: "editor", tenant: "acme" });
  const response = await fetch(`${target.url}/trpc/tokens.create`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "cf-connecting-ip": ip },
    body: JSON.stringify({ name: "ci", plugins: ["acme-*"], actions: ["publish"] }),
  });
  expect(response.status, await response.text()).toBe(200);
}

async function auditedAddresses(target: Stack, actor: string): Promise<(string | null)[]> {
  const { rows } = await target.db.query<{ ip: string | null }>("select ip from audit_log where actor_id = $1", [
    actor,
  ]);
  return rows.map((row) => row.ip);
}

describe("with TRUST_CF_CONNECTING_IP=false (pnpm dev: nothing in front overwrites the header)", () => {
  let local: Stack;
  beforeAll(async () => {
    local = await startStack({
      rateLimits: { write: 3, read: 5, bundle: 2 },
      apiBindings: { TRUST_CF_CONNECTING_IP: "false" },
    });
  });
  afterAll(() => local?.stop());

  it("ignores a client-sent CF-Connecting-IP: a new value neither resets nor splits the read budget", async () => {
    const read = (ip?: string) =>
      fetch(`${local.url}/trpc/health.check`, { headers: ip === undefined ? {} : { "cf-connecting-ip": ip } });
    for (let sent = 0; sent < 5; sent++) expect((await read(`198.51.100.${sent}`)).status).toBe(200);
    expectTooMany(await read("198.51.100.200"), 60);
    expectTooMany(await read(), 60);
  });

  it("counts bundle downloads of every local client as one, from memory too", async () => {
    const token = await local.token({ sub: "local-publisher", role: "editor" });
    expect((await upload(local, { token, metadata: pluginMetadata({ id: "local-file" }) })).status).toBe(201);
    let sent = 0;
    await roomInRateLimitWindow(10, 6);
    const download = () =>
      fetch(`${local.url}/plugins/bundles/local-file/v1.0.0/bundle.js`, {
        headers: { "cf-connecting-ip": `203.0.113.${sent++ % 250}` },
      });
    for (let count = 0; count < 2 * BUNDLE_DOWNLOADS_PER_CALL; count++) expect((await download()).status).toBe(200);
    await downloadUntilRefused(download);
  });

  it("keeps a client-sent address out of the audit log", async () => {
    await createTokenFrom(local, "local-writer", "192.0.2.11");
    expect(await auditedAddresses(local, "local-writer")).toEqual([null]);
  });
});

describe("a tRPC batch spends one unit of its budget per call, and holds at most 50 calls", () => {
  /** Rate limits of this stack: writes and reads per 60 s window, per IP and per user. */
  const WRITE_BUDGET = 60;
  const READ_BUDGET = 100;
  let limited: Stack;
  beforeAll(async () => {
    limited = await startStack({ rateLimits: { write: WRITE_BUDGET, read: READ_BUDGET } });
  });
  afterAll(() => limited?.stop());
  // Each test spends its budgets within one 60 s window.
  beforeEach(() => roomInRateLimitWindow(60, 20));

  const batchPath = (procedure: string, calls: number) => Array.from({ length: calls }, () => procedure).join(",");
  const batchInput = (calls: number, input: unknown) =>
    Object.fromEntries(Array.from({ length: calls }, (_, index) => [index, input]));
  const tokenInput = { name: "ci", plugins: ["acme-*"], actions: ["publish"] };

  /** A signed-in editor at an address of its own, so that no test spends another's budget. */
  async function caller(sub: string, ip: string) {
    return { ...bearer(await limited.token({ sub, role: "editor", tenant: "acme" })), "cf-connecting-ip": ip };
  }

  function mintBatch(headers: Record<string, string>, calls: number) {
    return fetch(`${limited.url}/trpc/${batchPath("tokens.create", calls)}?batch=1`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(batchInput(calls, tokenInput)),
    });
  }

  async function mintedBy(sub: string): Promise<number> {
    const { rows } = await limited.db.query<{ count: string }>(
      "select count(*) from publish_tokens where owner_id = $1",
      [sub],
    );
    return Number(rows[0]?.count);
  }

  /** The limiter's windows are fixed 60 s ones: start a test's spending well inside one. */
  async function inOneWindow() {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
  }

  it("refuses a POST batching 80 tokens.create with 400 naming the limit, minting nothing", async () => {
    const headers = await caller("batcher-80", "198.51.100.80");
    await expectNothingChanged(limited, async () => {
      const response = await mintBatch(headers, 80);
      const message = await expectTrpcShape(response, 400, "BAD_REQUEST", batchPath("tokens.create", 80));
      expect(message).toContain("50 calls");
    });
    expect(await mintedBy("batcher-80")).toBe(0);
  });

  it("refuses a GET batching 51 queries with 400 naming the limit", async () => {
    const path = batchPath("plugins.get", 51);
    const input = encodeURIComponent(JSON.stringify(batchInput(51, { pluginId: "owned" })));
    const response = await fetch(`${limited.url}/trpc/${path}?batch=1&input=${input}`);
    expect(await expectTrpcShape(response, 400, "BAD_REQUEST", path)).toContain("50 calls");
  });

  it("counts the calls however the path spells its commas (%2C)", async () => {
    const path = batchPath("plugins.get", 51).replaceAll(",", "%2C");
    const input = encodeURIComponent(JSON.stringify(batchInput(51, { pluginId: "owned" })));
    const response = await fetch(`${limited.url}/trpc/${path}?batch=1&input=${input}`);
    expect(response.status).toBe(400);
  });

  it("mints 40 tokens from a batch of 40, then refuses a second batch of 40 with 429 and mints none of it", async () => {
    await inOneWindow();
    const headers = await caller("batcher-40", "198.51.100.40");
    const first = await mintBatch(headers, 40);
    expect(first.status, await first.clone().text()).toBe(200);
    expect(((await first.json()) as unknown[]).length).toBe(40);
    expect(await mintedBy("batcher-40")).toBe(40);

    await expectNothingChanged(limited, async () => {
      const second = await mintBatch(headers, 40);
      await expectTrpcShape(second, 429, "TOO_MANY_REQUESTS", batchPath("tokens.create", 40));
      expect(Number(second.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    });
    expect(await mintedBy("batcher-40")).toBeLessThanOrEqual(WRITE_BUDGET);
  });

  it("the same in the streamed form (trpc-accept: application/jsonl)", async () => {
    await inOneWindow();
    const headers = { ...(await caller("streamer", "198.51.100.41")), "trpc-accept": "application/jsonl" };
    const first = await mintBatch(headers, 45);
    expect(first.status).toBe(200);
    // One line per result as each call finishes, after a head line: the streamed form indeed.
    expect((await first.text()).trim().split("\n").length).toBeGreaterThan(1);
    expect(await mintedBy("streamer")).toBe(45);

    await expectNothingChanged(limited, async () => {
      const second = await mintBatch(headers, 45);
      await expectTrpcShape(second, 429, "TOO_MANY_REQUESTS", batchPath("tokens.create", 45));
    });
    expect(await mintedBy("streamer")).toBe(45);
  });

  it("counts each query of a GET batch against the read budget", async () => {
    await inOneWindow();
    const headers = { "cf-connecting-ip": "198.51.100.42" };
    const read = (calls: number) => {
      const input = encodeURIComponent(JSON.stringify(batchInput(calls, { pluginId: "missing" })));
      return fetch(`${limited.url}/trpc/${batchPath("plugins.get", calls)}?batch=1&input=${input}`, { headers });
    };
    for (let batch = 0; batch < READ_BUDGET / 50; batch++) expect((await read(50)).status).not.toBe(429);
    await expectTrpcShape(await read(1), 429, "TOO_MANY_REQUESTS", "plugins.get");
  });
});
