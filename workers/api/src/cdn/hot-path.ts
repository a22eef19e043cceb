import { parseBundleUrl } from "@plugins/schema";
import { clientIp } from "../client-ip";
import type { Env } from "../env";
import { isolateOf } from "../isolate";
import { hotObjectKey } from "./bundle-cache";
import { answerFromMemory } from "./bundle-responses";
import { flushDownloads } from "./download-flush";

/**
 * The hottest request there is, a repeated GET of an immutable bundle file this isolate
 * holds in memory, answered before any routing or middleware: no database, no token, no
 * validation (a file gets into memory only after the full path of `bundle-routes.ts`
 * checked it). Everything else, a client over its budget included, returns null and goes
 * through the app.
 */
export function answerFromIsolate(request: Request, env: Env, ctx: ExecutionContext): Response | null {
  const method = request.method;
  if (method !== "GET" && method !== "HEAD") return null;
  const file = parseBundleUrl(request.url);
  if (!file) return null;
  const isolate = isolateOf(env);
  const held = isolate.hotObjects.get(hotObjectKey(file));
  if (!held) return null;
  const ip = clientIp(request.headers, env);
  if (isolate.bundleBudget.refusal(ip) !== null) return null;
  const waitUntil = (promise: Promise<unknown>) => ctx.waitUntil(promise);
  isolate.bundleBudget.count(env.BUNDLE_LIMITER, waitUntil, ip);
  const requestId = crypto.randomUUID();
  const response = answerFromMemory(method, request.headers, held, requestId);
  const batch = isolate.downloads.record({
    pluginId: file.pluginId,
    version: file.version,
    isEntry: held.isEntry,
    method,
    status: response.status,
  });
  if (batch) {
    const facts = {
      requestId,
      ip,
      userAgent: null,
      publicOrigin: env.PUBLIC_BASE_URL || new URL(request.url).origin,
    };
    waitUntil(flushDownloads(env, facts, batch));
  }
  return response;
}
