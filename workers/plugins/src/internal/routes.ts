import { downloadBatchSchema, publishTokenRedeemSchema } from "@plugins/schema";
import type { Hono } from "hono";
import { serveBundleFile } from "../bundles/files";
import { readConfig } from "../config";
import { recordDownloads } from "../downloads/record";
import { openDatabase } from "../lib/database";
import { RegistryError } from "../lib/errors";
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
    if (!batch.success) throw new RegistryError("BAD_REQUEST", "Malformed download batch");
    const database = openDatabase(readConfig(c.env).database);
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
    if (!body.success) throw new RegistryError("BAD_REQUEST", "Malformed redeem request");
    const database = openDatabase(readConfig(c.env).database);
    try {
      const redeemed = await redeemToken(database.db, body.data.token);
      if (!redeemed) throw new RegistryError("UNAUTHORIZED", "The publish token is unknown, revoked or expired");
      return c.json(redeemed);
    } finally {
      c.executionCtx.waitUntil(database.close());
    }
  });
}
