import { internalToken } from "@plugins/schema";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { Hono } from "hono";
import { serveBundleFile } from "./bundle-route";
import { openDatabase } from "./database";
import { type Env, maxBundleBytes } from "./env";
import { verifyInternalToken } from "./identity";
import { logEvent } from "./log";
import { appRouter } from "./root";

const app = new Hono<{ Bindings: Env }>();

app.on(["GET", "HEAD"], "/bundles/:pluginId/:version/:path{.+}", (c) =>
  serveBundleFile(c, c.req.param("pluginId"), c.req.param("version"), c.req.param("path")),
);

app.all("/trpc/*", async (c) => {
  const claims = await verifyInternalToken(c.req.header(internalToken.header) ?? "", c.env.INTERNAL_TOKEN_SECRET);
  if (!claims) {
    return c.json({ error: { code: "UNAUTHORIZED", message: "Missing or invalid internal identity" } }, 401);
  }
  const database = openDatabase(c.env);
  const response = await fetchRequestHandler({
    endpoint: "/trpc",
    req: c.req.raw,
    router: appRouter,
    createContext: () => ({
      db: database.db,
      bucket: c.env.BUNDLES,
      identity: claims.identity,
      request: claims.request,
      limits: { maxBundleBytes: maxBundleBytes(c.env) },
      waitUntil: (promise) => c.executionCtx.waitUntil(promise),
      exposeErrors: c.env.ENVIRONMENT === "development",
    }),
    onError: ({ error, path }) => {
      if (error.code !== "INTERNAL_SERVER_ERROR") return;
      logEvent("error", "procedure_failed", {
        requestId: claims.request.requestId,
        path,
        message: error.message,
        cause: error.cause instanceof Error ? error.cause.stack : undefined,
      });
    },
  });
  c.executionCtx.waitUntil(database.close());
  return response;
});

app.notFound((c) => c.json({ error: { code: "NOT_FOUND", message: "No such route" } }, 404));

export default app satisfies ExportedHandler<Env>;
