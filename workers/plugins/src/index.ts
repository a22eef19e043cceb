import {
  downloadBatchSchema,
  EDGE_PURGE_HEADER,
  type InternalClaims,
  internalToken,
  publishTokenRedeemSchema,
} from "@plugins/schema";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { answerableTransactions } from "./answerable-transactions";
import { serveBundleFile } from "./bundle-route";
import { BoundedUploadRequest } from "./bundle-upload";
import { DATABASE_RETRY_AFTER_SECONDS, databaseOutage, openDatabase } from "./database";
import { recordDownloads } from "./downloads";
import { type Env, uploadLimits } from "./env";
import { verifyInternalToken } from "./identity";
import { configKeys } from "./instances/secrets";
import { logEvent } from "./log";
import { redeemToken } from "./publish-tokens";
import { appRouter } from "./root";

type PluginsEnv = { Bindings: Env; Variables: { claims: InternalClaims } };

const app = new Hono<PluginsEnv>();

/** Everything but bundle bytes needs the identity the API worker minted for this request. */
const requireInternalIdentity = createMiddleware<PluginsEnv>(async (c, next) => {
  const claims = await verifyInternalToken(c.req.header(internalToken.header) ?? "", c.env.INTERNAL_TOKEN_SECRET);
  if (!claims) {
    return c.json({ error: { code: "UNAUTHORIZED", message: "Missing or invalid internal identity" } }, 401);
  }
  c.set("claims", claims);
  await next();
});

app.on(["GET", "HEAD"], "/bundles/:pluginId/:version/:path{.+}", (c) =>
  serveBundleFile(c.env.BUNDLES, c.req.method, c.req.param()),
);

/** Download counts batched by the API worker, off its hot path. Not reachable through /trpc. */
app.post("/downloads", requireInternalIdentity, async (c) => {
  const batch = downloadBatchSchema.safeParse(await c.req.json().catch(() => null));
  if (!batch.success) return c.json({ error: { code: "BAD_REQUEST", message: "Malformed download batch" } }, 400);
  const database = openDatabase(c.env);
  try {
    await recordDownloads(database.db, batch.data);
  } finally {
    c.executionCtx.waitUntil(database.close());
  }
  return c.body(null, 204);
});

/** The gateway asks who a publish token speaks for; clients cannot reach this (not under /trpc). */
app.post("/publish-tokens/redeem", requireInternalIdentity, async (c) => {
  const body = publishTokenRedeemSchema.safeParse(await c.req.json().catch(() => null));
  if (!body.success) return c.json({ error: { code: "BAD_REQUEST", message: "Malformed redeem request" } }, 400);
  const database = openDatabase(c.env);
  try {
    const redeemed = await redeemToken(database.db, body.data.token);
    return redeemed
      ? c.json(redeemed)
      : c.json({ error: { code: "UNAUTHORIZED", message: "The publish token is unknown, revoked or expired" } }, 401);
  } finally {
    c.executionCtx.waitUntil(database.close());
  }
});

app.all("/trpc/*", requireInternalIdentity, async (c) => {
  const claims = c.get("claims");
  const database = openDatabase(c.env);
  const response = await fetchRequestHandler({
    endpoint: "/trpc",
    req: new BoundedUploadRequest(c.req.raw),
    router: appRouter,
    createContext: ({ resHeaders, info }) => ({
      db: answerableTransactions(database.db),
      bucket: c.env.BUNDLES,
      identity: claims.identity,
      grant: claims.grant ?? null,
      request: claims.request,
      limits: { upload: uploadLimits(c.env) },
      waitUntil: (promise) => c.executionCtx.waitUntil(promise),
      purgeFromEdge:
        info.accept === "application/jsonl"
          ? null
          : (paths) => resHeaders.set(EDGE_PURGE_HEADER, JSON.stringify(paths)),
      exposeErrors: c.env.ENVIRONMENT === "development",
      configKeys: configKeys(c.env),
    }),
    // An outage answer says when to come back, and no cache keeps any error.
    responseMeta: ({ errors }) =>
      errors.length === 0
        ? {}
        : {
            headers: new Headers({
              "cache-control": "no-store",
              ...(errors.some((error) => databaseOutage(error))
                ? { "retry-after": String(DATABASE_RETRY_AFTER_SECONDS) }
                : {}),
            }),
          },
    onError: ({ error, path }) => {
      if (error.code !== "INTERNAL_SERVER_ERROR") return;
      const outage = databaseOutage(error);
      if (outage) {
        logEvent("warn", "database_unavailable", {
          requestId: claims.request.requestId,
          path,
          message: outage.message,
        });
        return;
      }
      logEvent("error", "procedure_failed", {
        requestId: claims.request.requestId,
        path,
        message: error.message,
        cause: error.cause instanceof Error ? error.cause.stack : undefined,
      });
    },
  });
  // A streamed batch keeps querying while its body is written: close the pool only after.
  if (!response.body) {
    c.executionCtx.waitUntil(database.close());
    return response;
  }
  const { readable, writable } = new TransformStream();
  c.executionCtx.waitUntil(response.body.pipeTo(writable).finally(() => database.close()));
  return new Response(readable, response);
});

app.notFound((c) => c.json({ error: { code: "NOT_FOUND", message: "No such route" } }, 404));

/** The internal routes outside /trpc: an outage is a 503 the gateway passes on, anything else a 500. */
app.onError((error, c) => {
  const outage = databaseOutage(error);
  if (outage) {
    return c.json({ error: { code: "SERVICE_UNAVAILABLE", message: outage.message } }, 503, {
      "retry-after": String(DATABASE_RETRY_AFTER_SECONDS),
    });
  }
  logEvent("error", "route_failed", { route: c.req.path, message: error.message, stack: error.stack });
  return c.json({ error: { code: "INTERNAL_SERVER_ERROR", message: "Internal error" } }, 500);
});

export default app satisfies ExportedHandler<Env>;
