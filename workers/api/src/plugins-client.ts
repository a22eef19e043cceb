import type { AppRouter } from "@plugins/plugins-worker/router";
import { hs256Key } from "@plugins/runtime";
import {
  EDGE_PURGE_HEADER,
  ENGINE_CALL_HEADER,
  type EngineCallFacts,
  guestIdentity,
  type InternalClaims,
  internalToken,
  type RequestFacts,
} from "@plugins/schema";
import { createTRPCClient, httpLink } from "@trpc/client";
import type { Context } from "hono";
import { SignJWT } from "jose";
import { purgeBundlePaths } from "./cdn/bundle-cache";
import { clientIp } from "./client-ip";
import { readConfig } from "./config";
import { type AppEnv, publicOrigin } from "./env";
import { ApiError } from "./errors";

/** The plugins worker has no public hostname; the service binding ignores the host. */
export const PLUGINS_ORIGIN = "https://plugins.internal";

/** Signs the caller's identity and this request's facts for the plugins worker, valid for seconds. */
export async function mintInternalToken(claims: InternalClaims, secret: string): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: internalToken.algorithm })
    .setIssuer(internalToken.issuer)
    .setAudience(internalToken.audience)
    .setJti(claims.request.requestId)
    .setIssuedAt()
    .setExpirationTime(`${internalToken.ttlSeconds}s`)
    .sign(await hs256Key(secret));
}

/** What the gateway vouches for about the current request. */
export function internalClaims(c: Context<AppEnv>): InternalClaims {
  const grant = c.get("grant");
  return {
    identity: c.get("identity"),
    ...(grant ? { grant } : {}),
    request: {
      requestId: c.get("requestId"),
      ip: clientIp(c.req.raw.headers, c.env),
      userAgent: c.req.header("user-agent")?.slice(0, 512) ?? null,
      publicOrigin: publicOrigin(c),
    },
  };
}

/**
 * Sends a request to the plugins worker over the service binding, and takes off its answer
 * the headers meant for the gateway before anything else sees it: the edge-cache purges it
 * asks for (a blocked version), carried out, and which plugin answered a call to an instance,
 * kept for the request's log line.
 */
export async function callPlugins(c: Context<AppEnv>, input: string, init?: RequestInit): Promise<Response> {
  // Unbound `env.PLUGINS.fetch` throws "Illegal invocation".
  const response = await withinDeadline(c.env, init, (bounded) => c.env.PLUGINS.fetch(input, bounded));
  const purge = response.headers.get(EDGE_PURGE_HEADER);
  const engineCall = response.headers.get(ENGINE_CALL_HEADER);
  if (purge === null && engineCall === null) return response;
  if (purge !== null) purgeBundlePaths(c, JSON.parse(purge) as string[]);
  if (engineCall !== null) c.set("engineCall", JSON.parse(engineCall) as EngineCallFacts);
  const headers = new Headers(response.headers);
  headers.delete(EDGE_PURGE_HEADER);
  headers.delete(ENGINE_CALL_HEADER);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * A tRPC client typed by the plugins worker's router, acting as the current caller.
 * Changing a procedure there breaks the typecheck here.
 */
export function pluginsClient(c: Context<AppEnv>) {
  const token = mintInternalToken(internalClaims(c), readConfig(c.env).internalTokenSecret);
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${PLUGINS_ORIGIN}/trpc`,
        fetch: (url, init) => callPlugins(c, String(url), init as RequestInit),
        headers: async () => ({ [internalToken.header]: await token }),
      }),
    ],
  });
}

/**
 * POSTs JSON to an internal route of the plugins worker (outside /trpc, so no client can
 * reach it) as the gateway itself: a `system:` identity with no rights, never the caller's.
 * Takes the request's facts rather than its context, so work outside routing can use it.
 */
export async function callPluginsAsGateway(
  env: Env,
  request: RequestFacts,
  task: string,
  path: string,
  body: unknown,
): Promise<Response> {
  const claims = { identity: { ...guestIdentity, sub: `system:${task}` }, request };
  const init = {
    method: "POST",
    headers: {
      "content-type": "application/json",
      [internalToken.header]: await mintInternalToken(claims, readConfig(env).internalTokenSecret),
    },
    body: JSON.stringify(body),
  };
  // Unbound `env.PLUGINS.fetch` throws "Illegal invocation".
  return withinDeadline(env, init, (bounded) => env.PLUGINS.fetch(`${PLUGINS_ORIGIN}${path}`, bounded));
}

/**
 * Waits for the plugins worker's answer (its status and headers; a body may stream on)
 * at most PLUGINS_TIMEOUT_MS, then aborts the call and answers 503. The plugins worker's
 * own deadline is shorter, so a write it could not finish in time was never committed.
 */
async function withinDeadline(
  env: Env,
  init: RequestInit | undefined,
  call: (init: RequestInit) => Promise<Response>,
): Promise<Response> {
  const timeoutMs = readConfig(env).pluginsTimeoutMs;
  const controller = new AbortController();
  const signal = init?.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new ApiError("SERVICE_UNAVAILABLE", `The plugin registry did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([call({ ...init, signal }), timedOut]);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}
