/**
 * Minimal workers measured in the same run as the platform, so every figure is reported
 * as a ratio to what workerd on this machine does with no platform code at all.
 */

/** Serves fixed bytes from memory: 200, 304 on a matching If-None-Match, a 302, a small JSON. */
export const MEMORY_BASELINE = `
let bytes;
export default {
  async fetch(request, env) {
    bytes ??= new Uint8Array(await (await env.BUNDLES.get(env.KEY)).arrayBuffer());
    const url = new URL(request.url);
    const headers = {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=31536000, immutable",
      etag: '"baseline"',
      "access-control-allow-origin": "*",
    };
    if (url.pathname === "/redirect") return new Response(null, { status: 302, headers: { location: "/bundle.js" } });
    if (url.pathname === "/json") return Response.json({ result: { data: { version: "1.0.0" } } });
    if (request.headers.get("if-none-match") === '"baseline"') return new Response(null, { status: 304, headers });
    return new Response(bytes, { headers });
  },
};
`;

/** Passes the R2 object straight through, with no caching of any kind. */
export const R2_PASSTHROUGH_BASELINE = `
export default {
  async fetch(request, env) {
    const object = await env.BUNDLES.get(env.KEY);
    const headers = new Headers();
    object.writeHttpMetadata(headers);
    headers.set("etag", object.httpEtag);
    return new Response(object.body, { headers });
  },
};
`;
