import type { AppRouter } from "@plugins/plugins-worker/router";
import { type InternalClaims, internalToken } from "@plugins/schema";
import { createTRPCClient, httpLink } from "@trpc/client";
import type { Context } from "hono";
import { SignJWT } from "jose";
import type { AppEnv, Env } from "./env";

/** The plugins worker has no public hostname; the service binding ignores the host. */
export const PLUGINS_ORIGIN = "https://plugins.internal";

/** Signs the caller's identity and this request's facts for the plugins worker, valid for seconds. */
export function mintInternalToken(claims: InternalClaims, secret: string): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: internalToken.algorithm })
    .setIssuer(internalToken.issuer)
    .setAudience(internalToken.audience)
    .setJti(claims.request.requestId)
    .setIssuedAt()
    .setExpirationTime(`${internalToken.ttlSeconds}s`)
    .sign(new TextEncoder().encode(secret));
}

export function publicOrigin(c: Context<AppEnv>): string {
  return c.env.PUBLIC_BASE_URL || new URL(c.req.url).origin;
}

/** What the gateway vouches for about the current request. */
export function internalClaims(c: Context<AppEnv>): InternalClaims {
  return {
    identity: c.get("identity"),
    request: {
      requestId: c.get("requestId"),
      ip: c.req.header("cf-connecting-ip") ?? null,
      userAgent: c.req.header("user-agent")?.slice(0, 512) ?? null,
      publicOrigin: publicOrigin(c),
    },
  };
}

/** Forwards a request to the plugins worker over the service binding. */
export function callPlugins(env: Env, input: string, init?: RequestInit): Promise<Response> {
  // Unbound `env.PLUGINS.fetch` throws "Illegal invocation".
  return env.PLUGINS.fetch(input, init);
}

/**
 * A tRPC client typed by the plugins worker's router, acting as the current caller.
 * Changing a procedure there breaks the typecheck here.
 */
export function pluginsClient(c: Context<AppEnv>) {
  const token = mintInternalToken(internalClaims(c), c.env.INTERNAL_TOKEN_SECRET);
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${PLUGINS_ORIGIN}/trpc`,
        fetch: (url, init) => callPlugins(c.env, String(url), init as RequestInit),
        headers: async () => ({ [internalToken.header]: await token }),
      }),
    ],
  });
}
