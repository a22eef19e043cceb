/**
 * The read models boot reads are answered from (R2 documents the plugins worker publishes with
 * each write): a write that answered success is in the next read, a publication that failed
 * after its commit is answered as an error and repaired by the next read, a late publication
 * never replaces a newer document, a missing document is rebuilt from Postgres, and every boot
 * read keeps answering while the PostgreSQL server is down.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../scripts/local-stack/migrate";
import { type RunningPostgres, startLocalPostgres } from "../scripts/local-stack/postgres";
import { type Cast, mintCast } from "./cast";
import {
  expectError,
  expectTrpcError,
  getManual,
  install,
  pluginMetadata,
  present,
  publish,
  SHORT_LIVED,
  trpc,
  trpcError,
  upload,
} from "./helpers";
import { type Stack, startStack } from "./stack";

const PREFIX = "~read-models/";

interface Envelope {
  revision: number | null;
  pending: { revision: number } | null;
  document: unknown;
}

/** The R2 object of a read model: its envelope, the document as JSON, its revision and pending mark. */
async function storedModel(stack: Stack, key: string) {
  const object = await stack.bucket.get(PREFIX + key);
  if (!object) return null;
  const envelope = (await object.json()) as Envelope;
  return {
    envelope,
    body: JSON.stringify(envelope.document),
    revision: envelope.revision,
    pending: envelope.pending?.revision ?? null,
  };
}

async function revisionInPostgres(stack: Stack, key: string): Promise<number> {
  const { rows } = await stack.db.query<{ revision: string }>(
    "select revision from read_model_revisions where key = $1",
    [key],
  );
  return Number(rows[0]?.revision ?? 0);
}

async function packageDocument(stack: Stack, id: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.url}/api/plugins/${id}`, { headers });
  return { response, text: await response.text() };
}

function manifest(stack: Stack, token: string, tenant: string, headers: Record<string, string> = {}) {
  return fetch(`${stack.url}/api/tenants/${tenant}/plugins/manifest`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
  });
}

describe("read models on a running stack", () => {
  let stack: Stack;
  let cast: Cast;

  beforeAll(async () => {
    stack = await startStack();
    cast = await mintCast(stack);
  });
  afterAll(() => stack?.stop());

  it("publishes each write's documents before it answers: the revision in R2 is the one committed, with no pending mark", async () => {
    await publish(stack, cast.alice, pluginMetadata({ id: "rm-widget" }));
    await trpc(stack, cast.alice).tags.set.mutate({ pluginId: "rm-widget", tag: "beta", version: "1.0.0" });
    const installed = await install(stack, cast.alice, "acme", { pluginId: "rm-widget", activate: true });
    expect(installed.status, await installed.text()).toBe(201);

    for (const key of ["packages/rm-widget", "tenants/acme/manifest"]) {
      const stored = present(await storedModel(stack, key), key);
      expect(stored.pending, key).toBeNull();
      expect(stored.revision, key).toBe(await revisionInPostgres(stack, key));
    }
    const document = JSON.parse(present(await storedModel(stack, "packages/rm-widget")).body);
    expect(document.distTags).toEqual({ beta: "1.0.0", latest: "1.0.0" });
    // Two writes changed the package (publish, tag), one more the tenant's manifest (install).
    expect(await revisionInPostgres(stack, "packages/rm-widget")).toBe(2);
  });

  it("shows a block at once: its files answer 410, it is gone from resolution, and manifests withhold it", async () => {
    await publish(stack, cast.alice, pluginMetadata({ id: "rm-doomed" }));
    const installed = await install(stack, cast.alice, "acme", { pluginId: "rm-doomed", activate: true });
    expect(installed.status).toBe(201);
    const file = `${stack.url}/plugins/bundles/rm-doomed/v1.0.0/bundle.js`;
    expect((await fetch(file)).status).toBe(200);

    await trpc(stack, cast.root).versions.block.mutate({ pluginId: "rm-doomed", version: "1.0.0", reason: "malware" });
    await expectError(await fetch(file), 410, "GONE");
    await expectError(await getManual(`${stack.url}/plugins/bundles/rm-doomed@latest`), 404, "NOT_FOUND");
    await expectTrpcError(trpc(stack).plugins.resolve.query({ pluginId: "rm-doomed", range: "1.0.0" }), "GONE", 410);
    const response = await manifest(stack, cast.vera, "acme");
    const body = await response.json();
    expect(body.plugins.map((plugin: { pluginId: string }) => plugin.pluginId)).not.toContain("rm-doomed");
    expect(body.withheld).toEqual([
      expect.objectContaining({ pluginId: "rm-doomed", version: "1.0.0", reason: expect.stringMatching(/blocked/) }),
    ]);
    const document = JSON.parse((await packageDocument(stack, "rm-doomed")).text);
    expect(document.versions["1.0.0"]).toEqual({ status: "blocked", publishedAt: expect.any(String) });
  });

  it("rebuilds a missing document from Postgres on its first read, the same as before, and stores it again", async () => {
    const before = await packageDocument(stack, "rm-widget");
    const manifestBefore = await (await manifest(stack, cast.vera, "acme")).text();
    await stack.bucket.delete([`${PREFIX}packages/rm-widget`, `${PREFIX}tenants/acme/manifest`]);

    const after = await packageDocument(stack, "rm-widget");
    expect(after.response.status).toBe(200);
    expect(after.text).toBe(before.text);
    expect(after.response.headers.get("etag")).toBe(before.response.headers.get("etag"));
    expect(await (await manifest(stack, cast.vera, "acme")).text()).toBe(manifestBefore);
    for (const key of ["packages/rm-widget", "tenants/acme/manifest"]) {
      const stored = present(await storedModel(stack, key), key);
      expect(stored.revision).toBe(await revisionInPostgres(stack, key));
    }
  });

  it("answers a tenant that never installed anything its empty manifest, and stores nothing for it", async () => {
    const before = await stack.snapshot();
    const response = await manifest(stack, cast.gina, "globex");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ tenantId: "globex", plugins: [], withheld: [] });
    expect(await storedModel(stack, "tenants/globex/manifest")).toBeNull();
    expect(await stack.snapshot()).toEqual(before);
  });

  it("never lets an older publication replace a newer document", async () => {
    const key = "packages/rm-widget";
    const current = present(await storedModel(stack, key));
    const revision = present(current.revision);
    // A document from the future: what R2 would hold had a later write published first.
    const newer = JSON.stringify({ ...JSON.parse(current.body), description: "from a newer revision" });
    await stack.bucket.put(
      PREFIX + key,
      JSON.stringify({ ...current.envelope, revision: revision + 100, etag: '"newer"', document: JSON.parse(newer) }),
    );
    await trpc(stack, cast.alice).tags.set.mutate({ pluginId: "rm-widget", tag: "next", version: "1.0.0" });
    expect(await revisionInPostgres(stack, key)).toBe(revision + 1);
    expect(present(await storedModel(stack, key)).body).toBe(newer);
    expect((await packageDocument(stack, "rm-widget")).text).toBe(newer);

    // Once the newer document is gone, the next read rebuilds what Postgres holds.
    await stack.bucket.delete(PREFIX + key);
    expect(JSON.parse((await packageDocument(stack, "rm-widget")).text).distTags.next).toBe("1.0.0");
  });

  it("ends concurrent writes of one document at the last revision committed, with every write in it", async () => {
    const tags = Array.from({ length: 8 }, (_, index) => `t${index}`);
    await Promise.all(
      tags.map((tag) => trpc(stack, cast.alice).tags.set.mutate({ pluginId: "rm-widget", tag, version: "1.0.0" })),
    );
    const stored = present(await storedModel(stack, "packages/rm-widget"));
    expect(stored.pending).toBeNull();
    expect(stored.revision).toBe(await revisionInPostgres(stack, "packages/rm-widget"));
    expect(Object.keys(JSON.parse(stored.body).distTags)).toEqual(expect.arrayContaining(tags));
  });

  it("rebuilds every document in pages for an admin (readModels.rebuild), and for no one else", async () => {
    await stack.bucket.delete([
      `${PREFIX}packages/rm-widget`,
      `${PREFIX}packages/rm-doomed`,
      `${PREFIX}tenants/acme/manifest`,
    ]);
    const before = await stack.snapshot();
    await expectTrpcError(trpc(stack, cast.alice).readModels.rebuild.mutate({ kind: "packages" }), "FORBIDDEN", 403);
    await expectTrpcError(trpc(stack).readModels.rebuild.mutate({ kind: "packages" }), "UNAUTHORIZED", 401);
    expect(await stack.snapshot()).toEqual(before);

    const pages = [];
    let cursor: string | undefined;
    do {
      const page = await trpc(stack, cast.root).readModels.rebuild.mutate({ kind: "packages", limit: 1, cursor });
      pages.push(page);
      cursor = page.next ?? undefined;
    } while (cursor);
    expect(pages.map((page) => page.next)).toEqual(["rm-doomed", "rm-widget", null]);
    expect(pages.map((page) => page.rebuilt)).toEqual([1, 1, 0]);
    const manifests = await trpc(stack, cast.root).readModels.rebuild.mutate({ kind: "tenant-manifests" });
    expect(manifests).toEqual({ kind: "tenant-manifests", rebuilt: 1, next: null });
    for (const key of ["packages/rm-widget", "packages/rm-doomed", "tenants/acme/manifest"]) {
      expect(await storedModel(stack, key), key).toMatchObject({
        revision: await revisionInPostgres(stack, key),
        pending: null,
      });
    }
  });

  it("changes no document on a refused write", async () => {
    const before = await storedModel(stack, "packages/rm-widget");
    // bob edits for another tenant and maintains nothing of rm-widget.
    const refusal = await trpcError(
      trpc(stack, cast.bob).tags.set.mutate({ pluginId: "rm-widget", tag: "evil", version: "1.0.0" }),
    );
    expect(refusal.message).toMatch(/./);
    expect((refusal.data as { httpStatus?: number } | undefined)?.httpStatus).toBe(403);
    expect(await storedModel(stack, "packages/rm-widget")).toEqual(before);
  });
});

describe("a write whose documents could not be published after its commit (failpoint read-models-after-commit)", () => {
  let stack: Stack;
  let cast: Cast;

  beforeAll(async () => {
    stack = await startStack({ pluginsBindings: { FAILPOINTS: "read-models-after-commit" } });
    cast = await mintCast(stack);
  });
  afterAll(() => stack?.stop());

  it("answers 503 saying it was saved, and the next read repairs the package document from Postgres", async () => {
    const response = await upload(stack, { token: cast.alice, metadata: pluginMetadata({ id: "rm-behind" }) });
    expect(await expectError(response, 503, "SERVICE_UNAVAILABLE")).toMatch(/saved/);
    const { rows } = await stack.db.query("select version from plugin_versions where plugin_id = 'rm-behind'");
    expect(rows).toEqual([{ version: "1.0.0" }]);
    // The mark written before the commit stays: readers know the document may be behind.
    expect(await storedModel(stack, "packages/rm-behind")).toMatchObject({ revision: null, pending: 1 });

    const read = await packageDocument(stack, "rm-behind");
    expect(read.response.status, read.text).toBe(200);
    expect(Object.keys(JSON.parse(read.text).versions)).toEqual(["1.0.0"]);
    expect(await storedModel(stack, "packages/rm-behind")).toMatchObject({ revision: 1, pending: null });

    // A second version: the stored document is behind it until a read repairs it, never served stale.
    const second = await upload(stack, {
      token: cast.alice,
      metadata: pluginMetadata({ id: "rm-behind", version: "1.1.0" }),
    });
    await expectError(second, 503, "SERVICE_UNAVAILABLE");
    expect(await storedModel(stack, "packages/rm-behind")).toMatchObject({ revision: 1, pending: 2 });
    const redirect = await getManual(`${stack.url}/plugins/bundles/rm-behind@latest`);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("cache-control")).toBe(SHORT_LIVED);
    expect(redirect.headers.get("location")).toMatch(/\/rm-behind\/v1\.1\.0\/bundle\.js$/);
  });

  it("repairs a tenant's manifest the same way", async () => {
    const installed = await install(stack, cast.alice, "acme", { pluginId: "rm-behind", activate: true });
    expect(await expectError(installed, 503, "SERVICE_UNAVAILABLE")).toMatch(/saved/);
    expect(await storedModel(stack, "tenants/acme/manifest")).toMatchObject({ pending: 1 });
    const response = await manifest(stack, cast.vera, "acme");
    const body = await response.json();
    expect(body.plugins).toEqual([expect.objectContaining({ pluginId: "rm-behind", version: "1.1.0" })]);
    expect(await storedModel(stack, "tenants/acme/manifest")).toMatchObject({ revision: 1, pending: null });
  });
});

describe("boot reads while the PostgreSQL server is down", () => {
  let server: RunningPostgres;
  let stack: Stack;
  let cast: Cast;
  let startAgain: (() => Promise<void>) | null = null;
  const read: Record<string, { etag: string; body: string }> = {};

  /** The boot reads a frontend and a CDN make, each with its answer's status. */
  async function bootReads() {
    const bearer = { authorization: `Bearer ${cast.vera}` };
    const answers = {
      document: await fetch(`${stack.url}/api/plugins/boot`),
      manifest: await fetch(`${stack.url}/api/tenants/acme/plugins/manifest`, { headers: bearer }),
      importmap: await fetch(`${stack.url}/api/tenants/acme/plugins/importmap`, { headers: bearer }),
      resolve: await fetch(
        `${stack.url}/trpc/plugins.resolve?input=${encodeURIComponent(JSON.stringify({ pluginId: "boot", range: "^1" }))}`,
      ),
    };
    const result: Record<string, { status: number; etag: string; body: string }> = {};
    for (const [name, response] of Object.entries(answers)) {
      result[name] = { status: response.status, etag: response.headers.get("etag") ?? "", body: await response.text() };
    }
    return result;
  }

  beforeAll(async () => {
    server = await startLocalPostgres();
    if (server.kind !== "postgres-server") return;
    await applyMigrations(server.url);
    stack = await startStack({ databaseUrl: server.url });
    cast = await mintCast(stack);
    await publish(stack, cast.alice, pluginMetadata({ id: "boot" }));
    await publish(stack, cast.alice, pluginMetadata({ id: "boot", version: "1.1.0" }));
    const installed = await install(stack, cast.alice, "acme", { pluginId: "boot", activate: true });
    expect(installed.status).toBe(201);
    // One file warmed into the gateway's memory and edge cache; the other never fetched.
    expect((await fetch(`${stack.url}/plugins/bundles/boot/v1.1.0/bundle.js`)).status).toBe(200);
    Object.assign(read, await bootReads());
  });

  afterAll(async () => {
    await stack?.stop();
    await server?.stop();
  });

  it("answers every boot read from the last committed state once the server is stopped", async () => {
    expect(server.kind, "this test needs a real PostgreSQL server").toBe("postgres-server");
    startAgain = await present(server.interrupt, "interrupt")();
    // Nothing reaches the server now: each answer below comes without a database connection.
    await expect(new pg.Client({ connectionString: server.url }).connect()).rejects.toThrow();

    const answers = await bootReads();
    for (const name of ["document", "manifest", "importmap", "resolve"]) {
      expect(answers[name]?.status, `${name}: ${answers[name]?.body}`).toBe(200);
      expect(answers[name]?.body, name).toBe(read[name]?.body);
    }
    expect(JSON.parse(present(answers.resolve).body).result.data.version).toBe("1.1.0");
    for (const [name, url] of [
      ["document", `${stack.url}/api/plugins/boot`],
      ["manifest", `${stack.url}/api/tenants/acme/plugins/manifest`],
    ] as const) {
      const revalidated = await fetch(url, {
        headers: { authorization: `Bearer ${cast.vera}`, "if-none-match": present(read[name]).etag },
      });
      expect(revalidated.status, name).toBe(304);
    }
    for (const path of ["boot@latest", "boot@%5E1.0.0/bundle.js"]) {
      const redirect = await getManual(`${stack.url}/plugins/bundles/${path}`);
      expect(redirect.status, path).toBe(302);
      expect(redirect.headers.get("location")).toMatch(/\/boot\/v1\.1\.0\/bundle\.js$/);
    }
    expect((await getManual(`${stack.url}/api/plugins/boot/bundle`)).status).toBe(302);
    for (const version of ["1.1.0", "1.0.0"]) {
      const file = await fetch(`${stack.url}/plugins/bundles/boot/v${version}/bundle.js`);
      expect(file.status, version).toBe(200);
      expect(await file.text()).toMatch(/"id":"boot"/);
    }
    const client = trpc(stack, cast.vera);
    expect((await client.manifests.get.query({ tenantId: "acme" })).manifest?.plugins).toHaveLength(1);
  });

  it("answers writes and /health a fast 503 in the error envelope while the server is down", async () => {
    const started = Date.now();
    const [published, installed, tagged, health] = await Promise.all([
      upload(stack, { token: cast.alice, metadata: pluginMetadata({ id: "boot", version: "1.2.0" }) }),
      install(stack, cast.alice, "acme", { pluginId: "boot", instanceId: "second" }),
      trpc(stack, cast.alice)
        .tags.set.mutate({ pluginId: "boot", tag: "beta", version: "1.0.0" })
        .then(
          () => null,
          (error: unknown) => error,
        ),
      fetch(`${stack.url}/health`),
    ]);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await expectError(published, 503, "SERVICE_UNAVAILABLE")).toMatch(/database/i);
    expect(await expectError(installed, 503, "SERVICE_UNAVAILABLE")).toMatch(/database/i);
    expect(tagged).toMatchObject({ data: { code: "SERVICE_UNAVAILABLE", httpStatus: 503 } });
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ parts: { postgres: "failing" }, failing: ["postgres"] });
  });

  it("works again once the server is back, without restarting a worker", async () => {
    await present(startAgain, "the stopped server")();
    expect((await fetch(`${stack.url}/health`)).status).toBe(200);
    await publish(stack, cast.alice, pluginMetadata({ id: "boot", version: "1.2.0" }));
    const document = JSON.parse((await packageDocument(stack, "boot")).text);
    expect(document.distTags.latest).toBe("1.2.0");
    const redirect = await getManual(`${stack.url}/plugins/bundles/boot@latest`);
    expect(redirect.headers.get("location")).toMatch(/\/boot\/v1\.2\.0\/bundle\.js$/);
  });
});
