import type { Context, Hono } from "hono";
import { type AppEnv, publicOrigin } from "../env";
import { ApiError } from "../errors";
import { pageCacheControl, pageSecurityHeaders } from "./security-headers";

/** Paths the app never claims: their unknown URLs keep the platform's JSON 404. */
const PLATFORM_PATHS = /^\/(?:api|trpc|health|plugins\/bundles)(?:\/|$)/;
/** A file of the app's build (`/assets/index-….js`, `/favicon.svg`), rather than one of its pages. */
const FILE_PATH = /\.[A-Za-z0-9]+$/;

/**
 * The marketplace and console (packages/web), served from the worker's static assets. Last of
 * the routes, for the GETs nothing else answered:
 * - a file of the app's build is served as built, and a missing one is the platform's 404;
 * - any other path is one of the app's pages (its router reads the path) for a browser asking
 *   for HTML, and the platform's JSON 404 for curl and API clients, as before there was an app.
 */
export function registerWebApp(app: Hono<AppEnv>) {
  app.on(["GET", "HEAD"], "*", async (c) => {
    const path = c.req.path;
    const notFound = new ApiError("NOT_FOUND", `No route for ${c.req.method} ${path}`);
    if (PLATFORM_PATHS.test(path)) throw notFound;
    if (FILE_PATH.test(path)) {
      const file = await c.env.ASSETS.fetch(c.req.raw);
      if (file.status === 404) throw notFound;
      return withPageHeaders(c, file);
    }
    if (!wantsPage(c.req.header("accept"))) throw notFound;
    // index.html, asked for by its canonical path (`/index.html` would be redirected there).
    return withPageHeaders(c, await c.env.ASSETS.fetch(new Request(new URL("/", c.req.url), c.req.raw)));
  });
}

function withPageHeaders(c: Context<AppEnv>, asset: Response): Response {
  const response = new Response(asset.body, asset);
  const pageOrigin = new URL(c.req.url).origin;
  for (const [name, value] of Object.entries(pageSecurityHeaders(pageOrigin, publicOrigin(c)))) {
    response.headers.set(name, value);
  }
  if (asset.ok) response.headers.set("cache-control", pageCacheControl(c.req.path));
  return response;
}

/** Whether the request comes from a browser opening a page: it asks for HTML by name. */
export function wantsPage(accept: string | undefined): boolean {
  return accept?.split(",").some((type) => type.trim().split(";")[0] === "text/html") ?? false;
}
