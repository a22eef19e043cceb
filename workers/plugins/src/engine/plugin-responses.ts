import { RegistryError } from "../lib/errors";

/*
 * What the platform passes on of a plugin's answer. The answer is served on the platform's
 * API origin, beside /api and /trpc, so nothing in it may act on that origin: no cookies, no
 * CORS grants, no request id of its own, and no document that runs script there.
 */

/** Headers a plugin may not set on the platform's origin. */
const WITHHELD = new Set([
  "set-cookie",
  "set-cookie2",
  "x-request-id",
  "strict-transport-security",
  "clear-site-data",
  "alt-svc",
  "content-security-policy",
  "content-security-policy-report-only",
  "report-to",
  "reporting-endpoints",
  "nel",
  "service-worker-allowed",
  "origin-agent-cluster",
  "cross-origin-opener-policy",
  "cross-origin-embedder-policy",
  "cross-origin-resource-policy",
]);

/** Whether a plugin's response header is passed on. */
function passedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return !WITHHELD.has(lower) && !lower.startsWith("access-control-") && !lower.startsWith("x-internal-");
}

/**
 * The plugin's response as the platform serves it: its status and body, the headers it may
 * set, and the platform's own. A body longer than `maxBytes` is refused when the plugin
 * declares its length, and cut where it passes the limit when it does not.
 */
export function passOn(response: Response, maxBytes: number, onCut: () => void): Response {
  const headers = new Headers();
  for (const [name, value] of response.headers) if (passedHeader(name)) headers.append(name, value);
  // Whatever the plugin sends renders inert here: no script, no plugins, no same-origin access.
  headers.set("content-security-policy", "sandbox; default-src 'none'; frame-ancestors 'none'");
  headers.set("x-content-type-options", "nosniff");
  // Answers to a signed-in caller: no shared cache keeps them.
  if (!headers.has("cache-control")) headers.set("cache-control", "private, no-store");
  const declared = response.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) {
    response.body?.cancel().catch(() => {});
    throw new RegistryError(
      "BAD_GATEWAY",
      `The plugin's response (${declared} bytes) is over the ${maxBytes}-byte limit of the platform`,
    );
  }
  if (!response.body) return new Response(null, { status: response.status, headers });
  return new Response(response.body.pipeThrough(cutAfter(maxBytes, onCut)), { status: response.status, headers });
}

/** Passes at most `maxBytes` through, then ends the stream with an error (the client sees a cut body). */
function cutAfter(maxBytes: number, onCut: () => void): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen <= maxBytes) {
        controller.enqueue(chunk);
        return;
      }
      onCut();
      controller.error(new Error(`plugin response over ${maxBytes} bytes, cut`));
    },
  });
}
