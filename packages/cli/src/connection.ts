import type { AppRouter } from "@plugins/api/client";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { configFilePath, readStoredLogin } from "./config-file";
import { CliFailure } from "./failure";

/** Where commands send their requests, and as whom. */
export interface Connection {
  /** The registry's origin (and base path), without a trailing slash. */
  registry: string;
  token: string | undefined;
}

/**
 * PLUGINS_REGISTRY and PLUGINS_TOKEN (CI's way) win over what `plugins login` stored, each on
 * its own: a pipeline may set the token only and keep a developer's registry, or the reverse.
 */
export async function connection(env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const stored = await readStoredLogin(configFilePath(env));
  const registry = env.PLUGINS_REGISTRY || stored.registry;
  if (!registry) {
    throw CliFailure.usage("no registry: run plugins login --registry <url>, or set PLUGINS_REGISTRY");
  }
  return { registry: registryUrl(registry), token: env.PLUGINS_TOKEN || stored.token };
}

/** A connection that must carry a token: every write. */
export async function signedInConnection(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Connection & { token: string }> {
  const found = await connection(env);
  if (!found.token) throw CliFailure.usage("no token: run plugins login, or set PLUGINS_TOKEN");
  return { ...found, token: found.token };
}

/** Checks a registry URL given by hand (http or https) and drops a trailing slash. */
export function registryUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw CliFailure.usage(`registry ${JSON.stringify(text)} is not a URL such as https://plugins.example.com`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw CliFailure.usage(`registry ${text} must be an http or https URL`);
  }
  return url.href.replace(/\/+$/, "");
}

/** `fetch` on the registry; a request that gets no answer at all is UNAVAILABLE. */
export async function request(to: Connection, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (to.token && !headers.has("authorization")) headers.set("authorization", `Bearer ${to.token}`);
  try {
    return await fetch(`${to.registry}${path}`, { ...init, headers });
  } catch (error) {
    throw CliFailure.unreachable(to.registry, error);
  }
}

/**
 * The JSON of a successful answer; any other answer becomes the failure it reports, read from
 * the REST error envelope `{"error": {code, message, requestId}}` (or, for an answer that is no
 * envelope, such as a proxy's page, its status and the request id header).
 */
export async function answerJson<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (response.ok) return JSON.parse(text) as T;
  throw refusalOf(response, text);
}

/** The bytes of a successful answer (a bundle file); any other answer becomes its failure. */
export async function answerBytes(response: Response): Promise<ArrayBuffer> {
  if (response.ok) return response.arrayBuffer();
  throw refusalOf(response, await response.text());
}

function refusalOf(response: Response, text: string): CliFailure {
  const requestId = response.headers.get("x-request-id") ?? undefined;
  let envelope: { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | undefined;
  try {
    envelope = JSON.parse(text) as typeof envelope;
  } catch {
    envelope = undefined;
  }
  const error = envelope?.error;
  return CliFailure.answered(response.status, {
    code: typeof error?.code === "string" ? error.code : `HTTP_${response.status}`,
    message: typeof error?.message === "string" ? error.message : `the registry answered ${response.status}`,
    ...optional("requestId", typeof error?.requestId === "string" ? error.requestId : requestId),
  });
}

export type RegistryApi = ReturnType<typeof createTRPCClient<AppRouter>>;

/**
 * Runs tRPC calls against the registry's `/trpc`, turning their failures into the CLI's: a
 * refusal carries the server's code, status and request id in `error.data`.
 */
export async function callRegistry<T>(to: Connection, call: (api: RegistryApi) => Promise<T>): Promise<T> {
  const api = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${to.registry}/trpc`,
        headers: () => (to.token ? { authorization: `Bearer ${to.token}` } : {}),
      }),
    ],
  });
  try {
    return await call(api);
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const data = (error as TRPCClientError<AppRouter>).data;
    if (data) {
      throw CliFailure.answered(data.httpStatus, {
        code: data.code,
        message: error.message,
        ...optional("requestId", data.requestId ?? undefined),
      });
    }
    const status = (error.meta?.response as Response | undefined)?.status;
    if (status !== undefined) {
      throw CliFailure.answered(status, { code: `HTTP_${status}`, message: `the registry answered ${status}` });
    }
    throw CliFailure.unreachable(to.registry, error.cause ?? error);
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]: V });
}
