import { downloadBatchSchema, publishTokenRedeemSchema } from "@plugins/schema";
import type { Hono } from "hono";
import { serveBundleFile } from "../bundles/files";
import { recordDownloads } from "../downloads/record";
import { openDatabase } from "../lib/database";
import { redeemToken } from "../tokens/publish-tokens";
import { type PluginsApp, requireInternalIdentity } from "./identity";

/** The routes outside /trpc. Only the API worker reaches them, over the service binding. */
export function registerInternalRoutes(app: Hono<PluginsApp>): void {
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
}
