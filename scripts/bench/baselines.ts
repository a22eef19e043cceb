/**
 * Minimal workers measured in the same run as the platform, so every figure is reported
 * as a ratio to what workerd on this machine does with no platform code at all.
 */

import type { WorkerOptions } from "miniflare";
import { COMPATIBILITY_DATE } from "../local-stack/platform-workers";

/** The R2 bucket the platform writes, read by the baselines too (they share its persist folder). */
const BUCKET = "plugin-bundles";

/** Serves the bundle's bytes from memory: 200, or 304 on a matching If-None-Match. */
const MEMORY_BASELINE = `
let bytes;
export default {
  async fetch(request, env) {
    bytes ??= new Uint8Array(await (await env.BUNDLES.get(env.BUNDLE_KEY)).arrayBuffer());
    const headers = {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=31536000, immutable",
      etag: '"baseline"',
      "access-control-allow-origin": "*",
    };
    if (request.headers.get("if-none-match") === '"baseline"') return new Response(null, { status: 304, headers });
    return new Response(bytes, { headers });
  },
};
`;

/** The public side of the two-worker baseline: hands every request to the origin over the binding. */
const EDGE_BASELINE = `
export default {
  fetch(request, env) {
    return env.ORIGIN.fetch(request);
  },
};
`;

/**
 * The origin side: /bundle.js is the bundle, /json the small JSON object, each passed through
 * from R2 with no caching of any kind; a conditional request is answered 304 by R2 itself.
 */
const ORIGIN_BASELINE = `
export default {
  async fetch(request, env) {
    const key = new URL(request.url).pathname === "/json" ? env.JSON_KEY : env.BUNDLE_KEY;
    const object = await env.BUNDLES.get(key, { onlyIf: request.headers });
    if (object === null) return new Response("not found", { status: 404 });
    const headers = new Headers();
    object.writeHttpMetadata(headers);
    headers.set("etag", object.httpEtag);
    if (!("body" in object)) return new Response(null, { status: 304, headers });
    return new Response(object.body, { headers });
  },
};
`;

export interface BaselineKeys {
  /** The bundle the platform published. */
  bundle: string;
  /** A small JSON object: the two-worker JSON baseline's answer. */
  json: string;
}

/** One worker serving the bundle from memory: the best a warm GET or a 304 can do. */
export function memoryBaseline(keys: BaselineKeys): WorkerOptions[] {
  return [
    {
      name: "memory",
      modules: true,
      script: MEMORY_BASELINE,
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: { BUNDLE_KEY: keys.bundle },
      r2Buckets: { BUNDLES: BUCKET },
    },
  ];
}

/**
 * A bare worker in front of a bare worker reading R2, joined by a service binding: the
 * shortest path a read that misses every cache takes in this architecture (the API worker
 * always crosses the binding to the plugins worker). The edge worker comes first: it is the entry.
 */
export function twoWorkerBaseline(keys: BaselineKeys): WorkerOptions[] {
  return [
    {
      name: "edge",
      modules: true,
      script: EDGE_BASELINE,
      compatibilityDate: COMPATIBILITY_DATE,
      serviceBindings: { ORIGIN: "origin" },
    },
    {
      name: "origin",
      modules: true,
      script: ORIGIN_BASELINE,
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: { BUNDLE_KEY: keys.bundle, JSON_KEY: keys.json },
      r2Buckets: { BUNDLES: BUCKET },
    },
  ];
}

/**
 * The plugin a server-side plugin bench calls: the least a handler can do. The platform runs
 * it as a published plugin's server module; the bare host below runs the very same text.
 */
export const TRIVIAL_PLUGIN = `export default {
  async fetch() {
    return new Response("pong", { headers: { "content-type": "text/plain" } });
  },
};
`;

/**
 * A bare worker with a Worker Loader that runs TRIVIAL_PLUGIN in a Dynamic Worker and passes
 * its answer on: \`/warm\` always in the same isolate, \`/cold/:n\` in a new one for each \`n\`.
 * What calling a plugin's handler costs with no platform in between.
 */
const LOADER_HOST = `
export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    const id = pathname === "/warm" ? "warm" : pathname;
    const worker = env.LOADER.get(id, () => ({
      compatibilityDate: env.COMPATIBILITY_DATE,
      mainModule: "plugin.js",
      modules: { "plugin.js": env.PLUGIN },
      globalOutbound: null,
    }));
    return worker.getEntrypoint().fetch(request);
  },
};
`;

/**
 * The bare loader host, alone or (`behindEdge`) behind a bare edge worker over a service
 * binding: the shape of this architecture, whose public worker holds no loader, with nothing
 * of the platform's in it.
 */
export function loaderHostBaseline({ behindEdge = false } = {}): WorkerOptions[] {
  const host: WorkerOptions = {
    name: "loader-host",
    modules: true,
    script: LOADER_HOST,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { PLUGIN: TRIVIAL_PLUGIN, COMPATIBILITY_DATE },
    workerLoaders: { LOADER: {} },
  };
  if (!behindEdge) return [host];
  const edge: WorkerOptions = {
    name: "edge",
    modules: true,
    script: EDGE_BASELINE,
    compatibilityDate: COMPATIBILITY_DATE,
    serviceBindings: { ORIGIN: "loader-host" },
  };
  return [edge, host];
}
