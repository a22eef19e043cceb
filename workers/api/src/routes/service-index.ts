import type { Hono } from "hono";
import { name, version } from "../../package.json";
import type { AppEnv } from "../env";
import { wantsPage } from "../web-app/routes";

/**
 * `GET /`: what answers here and where to go next, for whoever opens the origin in a browser
 * or with curl, where a 404 would look like a broken deployment. Links are paths on this
 * origin; the documentation ships with the code. A browser asking for HTML gets the
 * marketplace instead (web-app/routes.ts).
 */
export function registerServiceIndex(app: Hono<AppEnv>) {
  app.get("/", (c, next) =>
    wantsPage(c.req.header("accept"))
      ? next()
      : c.json({
          name,
          version,
          description: "Plugin registry and bundle CDN",
          links: {
            health: "/health",
            trpc: "/trpc",
            keys: "/api/keys",
            bundles: "/plugins/bundles/{pluginId}@{ref}",
          },
          docs: "README.md of the repository: HTTP surface (API worker), tRPC for frontends",
        }),
  );
}
