import { createHash } from "node:crypto";
import { createServer } from "node:net";
import type { AppRouter } from "@plugins/api/client";
import { type InternalClaims, internalToken } from "@plugins/schema";
import { createTRPCClient, httpBatchLink, httpBatchStreamLink, httpLink, TRPCClientError } from "@trpc/client";
import canonicalize from "canonicalize";
import { SignJWT } from "jose";
import { expect } from "vitest";
import { DEV_CONFIG_ENCRYPTION_KEY, DEV_INTERNAL_TOKEN_SECRET } from "../scripts/local-stack/dev-token";
import type { Stack } from "./stack";

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a publisher sends beside the bundle; every field valid unless overridden. */
export function pluginMetadata(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: "test-plugin",
    name: "Test Plugin",
    version: "1.0.0",
    description: "A test plugin",
    category: "payment",
    extensionPoints: ["payment-methods"],
    ...overrides,
  };
}

export interface UploadOptions {
  token?: string;
  /** An object is sent as JSON; a string as it is; `null` leaves the field out. */
  metadata?: Record<string, unknown> | string | null;
  /** The bundle bytes; `null` leaves the field out. */
  file?: string | Uint8Array | null;
  headers?: Record<string, string>;
}

export function multipartForm(options: Pick<UploadOptions, "metadata" | "file">): FormData {
  const form = new FormData();
  const file = options.file === undefined ? "export default function activate() {}\n" : options.file;
  if (file !== null) form.set("file", new File([typeof file === "string" ? file : Buffer.from(file)], "plugin.js"));
  const metadata = options.metadata === undefined ? pluginMetadata() : options.metadata;
  if (metadata !== null) form.set("metadata", typeof metadata === "string" ? metadata : JSON.stringify(metadata));
  return form;
}

/** `POST /api/plugins/upload` as a publisher's terminal would send it. */
export function upload(stack: Stack, options: UploadOptions = {}): Promise<Response> {
  return fetch(`${stack.url}/api/plugins/upload`, {
    method: "POST",
    body: multipartForm(options),
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
  });
}

/** Uploads and insists on success, for tests whose subject comes after the publish. */
export async function publish(stack: Stack, token: string, metadata: Record<string, unknown>, file?: string) {
  const response = await upload(stack, {
    token,
    metadata,
    file: file ?? `export default ${JSON.stringify(metadata)};`,
  });
  const body = await response.text();
  expect(response.status, body).toBe(201);
  return JSON.parse(body) as PublishedVersion;
}

export interface PublishedVersion {
  id: string;
  name: string;
  version: string;
  description: string;
  category: string;
  extensionPoints: string[];
  status: string;
  /** The file a host imports (bundle.js for a single file, index.js or the manifest's entry in an archive). */
  entry: string;
  fileCount: number;
  permissions: string[];
  dependencies: Record<string, string>;
  /** Total bytes of all files of the version. */
  size: number;
  /** Of the entry file. */
  sha256: string;
  integrity: string;
  bundleUrl: string;
  publishedAt: string;
  publishedBy: string;
}

export function install(stack: Stack, token: string | null, tenant: string | null, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (tenant !== null) headers["x-tenant-id"] = tenant;
  return fetch(`${stack.url}/api/plugins/install`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export interface ErrorEnvelope {
  error: { code: string; message: string; requestId: string };
}

/**
 * Asserts the REST error envelope: the status, the code, a non-empty message, and a
 * `requestId` equal to the response's `x-request-id`. Returns the message.
 */
export async function expectError(response: Response, status: number, code: string): Promise<string> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = JSON.parse(text) as ErrorEnvelope;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "requestId"]);
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  const requestId = response.headers.get("x-request-id");
  expect(requestId).toMatch(UUID);
  expect(body.error.requestId).toBe(requestId);
  return body.error.message;
}

export function sha256Hex(bytes: string | Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function sriSha384(bytes: string | Uint8Array): string {
  return `sha384-${createHash("sha384").update(bytes).digest("base64")}`;
}

/**
 * A version's content digest, computed independently of the worker: sha256 over the
 * `sha256sum`-style listing of every file, sorted by path, then the stored manifest in
 * RFC 8785 canonical JSON.
 */
export function contentDigest(
  files: ReadonlyArray<{ path: string; bytes: string | Uint8Array }>,
  manifest: unknown,
): string {
  const listing = [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((file) => `${sha256Hex(file.bytes)}  ${file.path}\n`)
    .join("");
  return sha256Hex(`${listing}manifest ${canonicalize(manifest)}\n`);
}

/** The typed client a frontend builds, pointed at this stack's `/trpc`. */
export function trpc(stack: Stack, token?: string, options: { link?: "batch" | "stream" } = {}) {
  const linkOptions = { url: `${stack.url}/trpc`, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) };
  const link =
    options.link === "batch"
      ? httpBatchLink(linkOptions)
      : options.link === "stream"
        ? httpBatchStreamLink(linkOptions)
        : httpLink(linkOptions);
  return createTRPCClient<AppRouter>({ links: [link] });
}

export interface InternalTokenOptions {
  secret?: string;
  issuer?: string;
  audience?: string;
  /** Seconds since the epoch. */
  issuedAt?: number;
  expiresAt?: number;
  algorithm?: string;
}

export function internalClaimsFor(identity: Partial<InternalClaims["identity"]> = {}): InternalClaims {
  return {
    identity: { sub: "alice", role: "admin", tenant: "acme", email: null, ...identity },
    request: { requestId: "test-request", ip: null, userAgent: null, publicOrigin: "http://127.0.0.1" },
  };
}

/** Mints an internal identity token the way the API worker does, with every part overridable. */
export function signInternalToken(
  claims: Record<string, unknown> = { ...internalClaimsFor() },
  options: InternalTokenOptions = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.algorithm ?? internalToken.algorithm })
    .setIssuer(options.issuer ?? internalToken.issuer)
    .setAudience(options.audience ?? internalToken.audience)
    .setIssuedAt(options.issuedAt ?? now)
    .setExpirationTime(options.expiresAt ?? now + internalToken.ttlSeconds)
    .sign(new TextEncoder().encode(options.secret ?? DEV_INTERNAL_TOKEN_SECRET));
}

/** A loopback port nothing listens on. */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * The bytes stored in R2 under `key`, read by the plugins worker itself (its R2 route, past
 * the API's edge cache), or null when there is no such object. Reading an object body through
 * miniflare's Node proxy (`stack.bucket.get(key).text()`) is synchronous under the hood and
 * flaky under load, so tests read bytes this way.
 */
export async function storedBytes(stack: Stack, key: string): Promise<Buffer | null> {
  const plugins = await stack.mf.getWorker("plugins");
  const response = await plugins.fetch(`http://plugins.internal/bundles/${key}`);
  if (response.status === 404) {
    await response.arrayBuffer();
    return null;
  }
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

/**
 * Waits, if need be, until the rate-limiting binding's current window has `seconds` left.
 * It counts in fixed windows aligned to the epoch (10 or 60 s), so a test that spends a
 * budget across a window's end would see its count reset midway and flake.
 */
export async function roomInRateLimitWindow(period: 10 | 60, seconds: number): Promise<void> {
  const left = period - ((Date.now() / 1000) % period);
  if (left < seconds) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 50));
}

/** Asserts that a value is there and narrows its type, instead of a non-null assertion. */
export function present<T>(value: T | null | undefined, what = "value"): T {
  if (value === null || value === undefined) throw new Error(`expected ${what} to be present`);
  return value;
}

/** `base64url(JSON)` of a JWT segment, for hand-made tokens. */
export function jwtSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** The error a tRPC call failed with; fails the test when the call succeeded or failed otherwise. */
export async function trpcError(call: Promise<unknown>): Promise<TRPCClientError<never>> {
  const outcome = await call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!("error" in outcome)) throw new Error(`expected the call to fail, it answered ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(TRPCClientError);
  return outcome.error as TRPCClientError<never>;
}

/** Asserts a tRPC failure's code and HTTP status, returning its message. */
export async function expectTrpcError(call: Promise<unknown>, code: string, httpStatus: number): Promise<string> {
  const error = await trpcError(call);
  expect(error.data, error.message).toMatchObject({ code, httpStatus });
  return error.message;
}

/** The headers every bundle answer carries, whatever its status. */
export function expectCrossOrigin(response: Response) {
  expect(response.headers.get("access-control-allow-origin")).toBe("*");
  expect(response.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
}

export const SHORT_LIVED = "public, max-age=60, stale-while-revalidate=300";
/** Negative bundle answers (404, 410, a malformed reference): a CDN stops repeating them soon after a publish. */
export const NEGATIVE_LIVED = "public, max-age=10";
export const IMMUTABLE = "public, max-age=31536000, immutable";

/** GET without following redirects. */
export function getManual(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { redirect: "manual", ...init });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** The key id a sealed value names: the first 8 bytes of the key's SHA-256, base64url. */
export function sealingKeyId(keyBase64: string): string {
  return createHash("sha256").update(Buffer.from(keyBase64, "base64")).digest().subarray(0, 8).toString("base64url");
}

/**
 * Opens a sealed value with the stack's key (or `keyBase64`), written here apart from the
 * worker's code: AES-256-GCM, `v1.<key id>.<iv>.<ciphertext>` in base64url, the row id as
 * additional data.
 */
export async function openSealed(
  sealed: string,
  rowId: string,
  keyBase64 = DEV_CONFIG_ENCRYPTION_KEY,
): Promise<Record<string, unknown>> {
  const [format, keyId, iv, ciphertext] = sealed.split(".");
  expect(format).toBe("v1");
  expect(keyId).toBe(sealingKeyId(keyBase64));
  const key = await crypto.subtle.importKey("raw", Buffer.from(keyBase64, "base64"), "AES-GCM", false, ["decrypt"]);
  const plaintext = await crypto.subtle.decrypt(
    {
      name: "AES-GCM",
      iv: Buffer.from(iv ?? "", "base64url"),
      additionalData: new TextEncoder().encode(`installation:${rowId}`),
    },
    key,
    Buffer.from(ciphertext ?? "", "base64url"),
  );
  return JSON.parse(new TextDecoder().decode(plaintext)) as Record<string, unknown>;
}

/** Seals `values` for row `rowId` under `keyBase64` the way the plugins worker does, for tests that need old or foreign values. */
export async function sealWith(keyBase64: string, values: Record<string, unknown>, rowId: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", Buffer.from(keyBase64, "base64"), "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(`installation:${rowId}`) },
    key,
    new TextEncoder().encode(JSON.stringify(values)),
  );
  return [
    "v1",
    sealingKeyId(keyBase64),
    Buffer.from(iv).toString("base64url"),
    Buffer.from(ciphertext).toString("base64url"),
  ].join(".");
}
