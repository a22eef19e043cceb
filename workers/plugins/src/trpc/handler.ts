import { createLogger } from "@plugins/runtime";
import { EDGE_PURGE_HEADER } from "@plugins/schema";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { Handler } from "hono";
import { BoundedUploadRequest } from "../bundles/upload";
import { readConfig } from "../config";
import type { PluginsApp } from "../internal/identity";
import { DATABASE_RETRY_AFTER_SECONDS, databaseOutage, onDemandDatabase } from "../lib/database";
import { callerContext } from "./caller-context";
import { appRouter } from "./root";

const logEvent = createLogger("plugins");

/**
 * Answers /trpc/* for a caller whose internal identity was verified: opens the request's
 * database when a procedure first uses it, builds the procedures' context from the claims and
 * the bindings, and closes the database once the answer, streamed or not, is written.
 */
export const trpcHandler: Handler<PluginsApp> = async (c) => {
  const claims = c.get("claims");
  const config = readConfig(c.env);
  const database = onDemandDatabase(config.database);
  const close = database.close;
  const response = await fetchRequestHandler({
    endpoint: "/trpc",
    req: new BoundedUploadRequest(c.req.raw),
    router: appRouter,
    createContext: ({ resHeaders, info }) =>
      callerContext(c.env, c.executionCtx, config, claims, {
        database: () => database.db,
        purgeFromEdge:
          info.accept === "application/jsonl"
            ? null
            : (paths) => resHeaders.set(EDGE_PURGE_HEADER, JSON.stringify(paths)),
      }),
    // An outage answer says when to come back, and no cache keeps any error. A streamed
    // batch (httpBatchStreamLink) sends its status and headers before its calls run, so
    // whatever they answer, a 503 among them, shows only in the stream: none is cacheable.
    responseMeta: ({ errors, info }) => {
      const streamed = info?.accept === "application/jsonl";
      if (!streamed && errors.length === 0) return {};
      const headers = new Headers({ "cache-control": "no-store" });
      if (errors.some((error) => databaseOutage(error))) {
        headers.set("retry-after", String(DATABASE_RETRY_AFTER_SECONDS));
      }
      return { headers };
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
    c.executionCtx.waitUntil(close());
    return response;
  }
  const { readable, writable } = new TransformStream();
  c.executionCtx.waitUntil(response.body.pipeTo(writable).finally(close));
  return new Response(readable, response);
};
