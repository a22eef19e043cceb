/**
 * The upstream API this source copies: `GET <upstream>/documents[?cursor=…]` answers
 * `{ "documents": [{ id, title, body, updatedAt }], "nextCursor": string | null }`, and wants the
 * instance's `apiToken` as a bearer token.
 */

/** A document as the upstream lists it, and as the instance stores it. */
export interface Document {
  id: string;
  title: string;
  body: string;
  updatedAt: string;
}

/**
 * The instance's config cannot work, rather than the upstream being down: the upstream turned
 * the apiToken down, or the platform refused to call its host (one the manifest does not declare).
 */
export class ConfigUnusable extends Error {}

/** A cursor that never ends must not keep a sync running until its deadline. */
const MAX_PAGES = 100;
const MAX_ID_LENGTH = 200;

/** Every document the upstream lists, by id, following its cursors. */
export async function upstreamDocuments(
  fetch: typeof globalThis.fetch,
  upstream: string,
  apiToken: string,
): Promise<Map<string, Document>> {
  const documents = new Map<string, Document>();
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const url = new URL(`${upstream.replace(/\/+$/, "")}/documents`);
    if (cursor !== null) url.searchParams.set("cursor", cursor);
    const response = await fetch(url, { headers: { authorization: `Bearer ${apiToken}`, accept: "application/json" } });
    // The platform's outbound gateway marks its own refusals, whose text says why.
    if (response.headers.get("x-plugin-outbound") === "refused") throw new ConfigUnusable(await response.text());
    if (response.status === 401 || response.status === 403) {
      throw new ConfigUnusable(`the upstream refused the apiToken (${response.status})`);
    }
    if (!response.ok) throw new Error(`the upstream answered ${response.status} for ${url.pathname}`);
    const { documents: listed, nextCursor } = readPage(await response.json());
    for (const document of listed) documents.set(document.id, document);
    if (nextCursor === null) return documents;
    cursor = nextCursor;
  }
  throw new Error(`the upstream listed more than ${MAX_PAGES} pages of documents`);
}

/** The page's documents, each checked: what is stored must be what the routes promise. */
function readPage(page: unknown): { documents: Document[]; nextCursor: string | null } {
  if (!isRecord(page) || !Array.isArray(page.documents)) {
    throw new Error('the upstream answered a page without a "documents" list');
  }
  const nextCursor = page.nextCursor ?? null;
  if (nextCursor !== null && typeof nextCursor !== "string") {
    throw new Error('the upstream answered a "nextCursor" that is not a string or null');
  }
  const documents = page.documents.map((entry: unknown, index: number): Document => {
    const fields = ["id", "title", "body", "updatedAt"] as const;
    if (!isRecord(entry) || fields.some((field) => typeof entry[field] !== "string")) {
      throw new Error(`the upstream's documents[${index}] is not {id, title, body, updatedAt} of strings`);
    }
    const { id, title, body, updatedAt } = entry as unknown as Document;
    if (id === "" || id.length > MAX_ID_LENGTH) {
      throw new Error(`the upstream's documents[${index}].id must be 1 to ${MAX_ID_LENGTH} characters`);
    }
    return { id, title, body, updatedAt };
  });
  return { documents, nextCursor };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
