import { request } from "node:http";
import { expect } from "vitest";
import { pluginFolder, publishFields, tarGz } from "./archive-fixtures";
import type { Cast } from "./cast";
import { install, pluginMetadata, publish, trpc, UUID } from "./helpers";
import { BACKGROUND_TABLES, listObjects, type Stack } from "./stack";

export const OWNED_BYTES = "export default 'owned';\n";
export const GUARDED_BYTES = "export default 'guarded';\n";
export const MALLORY_BYTES = "export default 'mallory was here';\n";
/** A non-entry file of the archive plugin "multi" (fetching it counts no download). */
export const MULTI_CHUNK = 'export const chunk = "lazy 1";\n';

/**
 * What the attack suites try to reach: alice's "owned" (1.0.0, installed once for acme);
 * alice's "guarded", to which mallory, a maintainer until alice removed her, published
 * 1.1.0; and "multi", an archive whose non-entry files can be fetched without counting a
 * download.
 */
export async function seedAttackTargets(stack: Stack, cast: Cast): Promise<void> {
  await publish(stack, cast.alice, pluginMetadata({ id: "owned", version: "1.0.0" }), OWNED_BYTES);
  expect((await install(stack, cast.alice, "acme", { pluginId: "owned" })).status).toBe(201);

  await publish(stack, cast.alice, pluginMetadata({ id: "guarded", version: "1.0.0" }), GUARDED_BYTES);
  await trpc(stack, cast.alice).maintainers.add.mutate({ pluginId: "guarded", userId: "mallory" });
  await publish(stack, cast.mallory, pluginMetadata({ id: "guarded", version: "1.1.0" }), MALLORY_BYTES);
  await trpc(stack, cast.alice).maintainers.remove.mutate({ pluginId: "guarded", userId: "mallory" });
  const { rows } = await stack.db.query("select user_id from plugin_maintainers where plugin_id = 'guarded'");
  expect(rows).toEqual([]);

  await publishFields(stack, {
    token: cast.alice,
    file: await tarGz(pluginFolder({ id: "multi", version: "1.0.0" })),
  });
}

export interface StoredState {
  counts: Record<string, number>;
  /** md5 over every row of each table, so an UPDATE shows up as well as an INSERT or DELETE. */
  rows: Record<string, string>;
  /** Every R2 key with its etag. */
  objects: string[];
}

/**
 * More than `stack.snapshot()`: row counts, a digest of every row of every table (a yank or
 * a deprecation changes no count), and every R2 key with its etag. Like the snapshot, it
 * leaves out `except`, BACKGROUND_TABLES unless given (see stack.ts).
 */
export async function storedState(
  stack: Stack,
  { except = BACKGROUND_TABLES }: { except?: readonly string[] } = {},
): Promise<StoredState> {
  const counts = await stack.snapshot({ except });
  const { rows: digests } = await stack.db.query<{ table: string; digest: string }>(
    (await stack.tables())
      .filter((table) => !except.includes(table))
      .map(
        (table) =>
          `select ${stack.db.escapeLiteral(table)} as table, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as digest from ${stack.db.escapeIdentifier(table)} t`,
      )
      .join(" union all "),
  );
  const rows = Object.fromEntries(digests.map((row) => [row.table, row.digest]));
  const objects = (await listObjects(stack.bucket)).map((object) => `${object.key} ${object.etag}`).sort();
  return { counts, rows, objects };
}

/**
 * Runs `attempt` and asserts that nothing stored (rows or R2 objects) changed meanwhile, but
 * for BACKGROUND_TABLES, which the stack writes when it pleases (see stack.ts).
 */
export async function expectNothingChanged<T>(stack: Stack, attempt: () => Promise<T>): Promise<T> {
  const before = await storedState(stack);
  const result = await attempt();
  expect(await storedState(stack)).toEqual(before);
  return result;
}

export interface TrpcErrorBody {
  error: {
    message: string;
    code: number;
    data: { code: string; httpStatus: number; path: string; requestId: string | null };
  };
}

/** JSON-RPC codes tRPC puts in `error.code`, by the name in `error.data.code`. */
export const TRPC_JSON_RPC_CODES: Record<string, number> = {
  PARSE_ERROR: -32700,
  BAD_REQUEST: -32600,
  INTERNAL_SERVER_ERROR: -32603,
  UNAUTHORIZED: -32001,
  FORBIDDEN: -32003,
  NOT_FOUND: -32004,
  // tRPC has no GONE: a blocked version goes out with NOT_FOUND's number, data.code GONE and status 410.
  GONE: -32004,
  METHOD_NOT_SUPPORTED: -32005,
  CONFLICT: -32009,
  PAYLOAD_TOO_LARGE: -32013,
  UNSUPPORTED_MEDIA_TYPE: -32015,
  TOO_MANY_REQUESTS: -32029,
};

/**
 * Asserts a raw `/trpc` answer is tRPC's error shape (what a typed client reads), whether the
 * gateway or the plugins worker wrote it: the status, `data.code`, the JSON-RPC code, the
 * procedure path and a request id equal to `x-request-id`. Returns the message.
 */
export async function expectTrpcShape(response: Response, status: number, code: string, path: string) {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = JSON.parse(text) as TrpcErrorBody;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.data.code, text).toBe(code);
  expect(body.error.data.httpStatus).toBe(status);
  expect(body.error.code).toBe(TRPC_JSON_RPC_CODES[code]);
  expect(body.error.data.path).toBe(path);
  expect(body.error.message.length).toBeGreaterThan(0);
  const requestId = response.headers.get("x-request-id");
  expect(requestId).toMatch(UUID);
  expect(body.error.data.requestId).toBe(requestId);
  return body.error.message;
}

/** `GET /trpc/<path>?input=<JSON>` as a raw request, the way an httpLink sends a query. */
export function trpcGet(stack: Stack, path: string, input: unknown, headers: Record<string, string> = {}) {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  return fetch(`${stack.url}/trpc/${path}${query}`, { headers });
}

/** `POST /trpc/<path>` with a JSON body (a string is sent as it is), the way an httpLink sends a mutation. */
export function trpcPost(stack: Stack, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${stack.url}/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/**
 * A GET whose path goes out byte for byte: fetch (WHATWG URL) would resolve `..`, turn `\`
 * into `/` and re-encode, so a client could never send what an attacker's raw socket can.
 */
export function rawGet(stack: Stack, path: string): Promise<{ status: number; body: Buffer }> {
  const { hostname, port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: hostname, port, path, method: "GET" }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () => resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks) }));
      incoming.on("error", reject);
    });
    outgoing.setTimeout(10_000, () => outgoing.destroy(new Error(`GET ${path} timed out`)));
    outgoing.on("error", reject);
    outgoing.end();
  });
}
