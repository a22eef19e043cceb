import { hotObjects } from "./bundle-cache";
import { answerFromMemory } from "./bundle-responses";
import { clientIp } from "./client-ip";
import { countDownload } from "./download-counter";
import type { Env } from "./env";
import { bundleRefusal, countBundleDownload } from "./rate-limits";

const BUNDLES_PREFIX = "/plugins/bundles/";

/**
 * The hottest request there is, a repeated GET of an immutable bundle file this isolate
 * holds in memory, answered before any routing or middleware: no database, no token, no
 * validation (a file gets into memory only after the full path of `routes/bundles.ts`
 * checked it). Everything else, a client over its budget included, returns null and goes
 * through the app.
 */
export function answerFromIsolate(request: Request, env: Env, ctx: ExecutionContext): Response | null {
  const method = request.method;
  if (method !== "GET" && method !== "HEAD") return null;
  const file = exactFileOf(request.url);
  if (!file) return null;
  const held = hotObjects(env).get(file.key);
  if (!held) return null;
  const ip = clientIp(request.headers, env);
  if (bundleRefusal(ip) !== null) return null;
  const waitUntil = (promise: Promise<unknown>) => ctx.waitUntil(promise);
  countBundleDownload(env, waitUntil, ip);
  const requestId = crypto.randomUUID();
  const response = answerFromMemory(method, request.headers, held, requestId);
  countDownload(
    env,
    waitUntil,
    { pluginId: file.pluginId, version: file.version, isEntry: held.isEntry, method, status: response.status },
    () => ({
      requestId,
      ip,
      userAgent: null,
      publicOrigin: env.PUBLIC_BASE_URL || new URL(request.url).origin,
    }),
  );
  return response;
}

/**
 * `/plugins/bundles/:id/v:version/:path` read off the URL by hand, the way the router reads
 * it: split on the raw slashes, then each part decoded (so `%2F` inside the id or version
 * is no separator); null for anything else.
 */
function exactFileOf(url: string): { pluginId: string; version: string; key: string } | null {
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  if (pathStart < 0 || !url.startsWith(BUNDLES_PREFIX, pathStart)) return null;
  const queryStart = url.indexOf("?", pathStart);
  const rest = url.slice(pathStart + BUNDLES_PREFIX.length, queryStart < 0 ? undefined : queryStart);
  const idEnd = rest.indexOf("/");
  const versionEnd = rest.indexOf("/", idEnd + 1);
  if (idEnd <= 0 || versionEnd < 0 || rest[idEnd + 1] !== "v") return null;
  const pluginId = decoded(rest.slice(0, idEnd));
  const version = decoded(rest.slice(idEnd + 2, versionEnd));
  const path = decoded(rest.slice(versionEnd + 1));
  if (pluginId === null || version === null || path === null || pluginId.includes("/") || version.includes("/")) {
    return null;
  }
  return { pluginId, version, key: `${pluginId}/${version}/${path}` };
}

function decoded(part: string): string | null {
  if (!part.includes("%")) return part;
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}
