/**
 * A source plugin: copies the documents of an upstream API (see upstream.ts) into the instance's
 * storage when the instance is activated, every 15 minutes (the `sync` schedule) and on
 * `POST /sync`, and answers `GET /documents`, `GET /documents/:id` and `GET /search?q=` from there.
 */
import { definePlugin, type PluginContext, route, routes, type Storage } from "@plugins/plugin-sdk";
import { searchDocuments } from "./search";
import { ConfigUnusable, type Document, upstreamDocuments } from "./upstream";

/** The instance's config, as plugin.json's config schema describes it (`apiToken` is a secret). */
interface Config {
  upstream: string;
  apiToken: string;
}

/** What the latest sync did, kept under SYNC_KEY. */
interface SyncReport {
  syncedAt: string;
  documents: number;
  added: number;
  updated: number;
  removed: number;
}

const DOCUMENT_PREFIX = "doc:";
const SYNC_KEY = "sync";
const MAX_QUERY_LENGTH = 200;

const documentKey = (id: string) => `${DOCUMENT_PREFIX}${id}`;

/**
 * Makes storage hold what the upstream lists: writes only the documents that are new or
 * changed, and deletes those the upstream no longer has, so a sync of an unchanged upstream
 * writes one key.
 */
async function sync({ config, fetch, storage, log }: PluginContext<Config>): Promise<SyncReport> {
  const upstream = await upstreamDocuments(fetch, config.upstream, config.apiToken);
  const stored = new Map((await storedDocuments(storage)).map((document) => [document.id, document]));
  const report: SyncReport = {
    syncedAt: new Date().toISOString(),
    documents: upstream.size,
    added: 0,
    updated: 0,
    removed: 0,
  };
  for (const document of upstream.values()) {
    const before = stored.get(document.id);
    if (before && sameDocument(before, document)) continue;
    await storage.put(documentKey(document.id), document);
    if (before) report.updated++;
    else report.added++;
  }
  for (const id of stored.keys()) {
    if (upstream.has(id)) continue;
    await storage.delete(documentKey(id));
    report.removed++;
  }
  await storage.put(SYNC_KEY, report);
  log.info("synced", { ...report });
  return report;
}

function sameDocument(a: Document, b: Document): boolean {
  return a.title === b.title && a.body === b.body && a.updatedAt === b.updatedAt;
}

/** Every stored document in id order, a page at a time. */
async function storedDocuments(storage: Storage): Promise<Document[]> {
  const documents: Document[] = [];
  let cursor: string | null = null;
  do {
    const page: { entries: { value: Document }[]; cursor: string | null } = await storage.list<Document>({
      prefix: DOCUMENT_PREFIX,
      cursor,
    });
    documents.push(...page.entries.map((entry) => entry.value));
    cursor = page.cursor;
  } while (cursor !== null);
  return documents;
}

function refusal(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

export default definePlugin<Config>({
  // A config that cannot work (the upstream turns the token down, or its host is not one the
  // manifest declares) refuses the activation: 409 naming onActivate and the message. An
  // upstream that is down does not: the schedule retries.
  async onActivate(context) {
    try {
      await sync(context);
    } catch (error) {
      if (error instanceof ConfigUnusable) throw error;
      context.log.warn("sync on activation failed; the schedule will retry", { error: String(error) });
    }
  },

  fetch: routes([
    route("GET", "/documents", async (_request, { storage }) => {
      const documents = await storedDocuments(storage);
      const report = await storage.get<SyncReport>(SYNC_KEY);
      return Response.json({
        documents: documents.map(({ id, title, updatedAt }) => ({ id, title, updatedAt })),
        syncedAt: report?.syncedAt ?? null,
      });
    }),
    route("GET", "/documents/:id", async (_request, { storage }, { id }) => {
      const document = await storage.get<Document>(documentKey(id));
      return document ? Response.json(document) : refusal(404, "NOT_FOUND", `no document ${JSON.stringify(id)}`);
    }),
    route("GET", "/search", async (request, { storage }) => {
      const query = (new URL(request.url).searchParams.get("q") ?? "").trim();
      if (query === "") return refusal(400, "BAD_REQUEST", "q: is required, the words to search for");
      if (query.length > MAX_QUERY_LENGTH) {
        return refusal(400, "BAD_REQUEST", `q: is longer than ${MAX_QUERY_LENGTH} characters`);
      }
      return Response.json({ query, results: searchDocuments(await storedDocuments(storage), query) });
    }),
    route("POST", "/sync", async (_request, context) => {
      if (context.caller.role === "viewer") return refusal(403, "FORBIDDEN", "viewers cannot start a sync");
      try {
        return Response.json(await sync(context));
      } catch (error) {
        return refusal(502, "BAD_GATEWAY", `sync failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  ]),

  tasks: {
    async sync(context) {
      await sync(context);
    },
  },
});
