import { parseBundleUrl } from "@plugins/schema";
import { clientIp } from "../client-ip";
import { readConfig } from "../config";
import { type Isolate, isolateOf } from "../isolate";
import { hotObjectKey } from "./bundle-cache";
import { answerFromMemory } from "./bundle-responses";
import { flushWhenDue } from "./download-flush";

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
  let isolate: Isolate;
  try {
    isolate = isolateOf(env);
  } catch {
    // Misconfigured (a ConfigError): the app refuses the request as every other (errors.ts).
    return null;
  }
  const held = isolate.hotObjects.get(hotObjectKey(file));
  if (!held) return null;
  const ip = clientIp(request.headers, env);
  if (isolate.bundleBudget.refusal(ip) !== null) return null;
  const waitUntil = (promise: Promise<unknown>) => ctx.waitUntil(promise);
  isolate.bundleBudget.count(env.BUNDLE_LIMITER, waitUntil, ip);
  const requestId = crypto.randomUUID();
  const response = answerFromMemory(method, request.headers, held, requestId);
  const flush = isolate.downloads.record({
    pluginId: file.pluginId,
    version: file.version,
    isEntry: held.isEntry,
    method,
    status: response.status,
  });
  if (flush) {
    const facts = {
      requestId,
      ip,
      userAgent: null,
      publicOrigin: readConfig(env).publicBaseUrl ?? new URL(request.url).origin,
    };
    flushWhenDue(env, waitUntil, facts, flush);
  }
  return response;
}
