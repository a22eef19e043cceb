import {
  describeIssues,
  downloadBatchSchema,
  pluginIdSchema,
  publishTokenRedeemSchema,
  resolveInputSchema,
  usableIfNoneMatch,
} from "@plugins/schema";
import fresh from "fresh";
import type { Context, Hono } from "hono";
import { serveBundleFile } from "../bundles/files";
import { readConfig } from "../config";
import { recordDownloads } from "../downloads/record";
import { serveOperation } from "../engine/operations";
import { type Database, onDemandDatabase, openDatabase } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { readPackageDocument, resolveFromDocument } from "../read-models/package-documents";
import { publicKeySet } from "../signatures/signing-keys";
import { redeemToken } from "../tokens/publish-tokens";
import { type PluginsApp, requireInternalIdentity } from "./identity";

/** The routes outside /trpc. Only the API worker reaches them, over the service binding. */
export function registerInternalRoutes(app: Hono<PluginsApp>): void {
  app.on(["GET", "HEAD"], "/bundles/:pluginId/:version/:path{.+}", (c) =>
    serveBundleFile(c.env.BUNDLES, c.req.method, c.req.param()),
  );

  /*
   * The public boot reads, answered from their read model like plugins.document and
   * plugins.resolve, but outside /trpc: public data, so like the bundle route no token, and
   * no tRPC envelope to build and parse on the registry's hottest metadata reads.
   */

  /** The package document, or 304 when `If-None-Match` holds its ETag. */
  app.get("/read-models/packages/:pluginId", (c) =>
    withReadContext(c, async (ctx) => {
      const pluginId = pluginIdSchema.safeParse(c.req.param("pluginId"));
      if (!pluginId.success) throw new RegistryError("BAD_REQUEST", `id: ${describeIssues(pluginId.error.issues)}`);
      const { etag, document } = await readPackageDocument(ctx, pluginId.data);
      const ifNoneMatch = usableIfNoneMatch(c.req.header("if-none-match"));
      if (ifNoneMatch && fresh({ "if-none-match": ifNoneMatch }, { etag })) return c.body(null, 304, { etag });
      return c.body(JSON.stringify(document), 200, { etag, "content-type": "application/json; charset=utf-8" });
    }),
  );

  /** The exact version `?range=` (a tag, a version or a semver range; `latest` if absent) names. */
  app.get("/read-models/packages/:pluginId/resolve", (c) =>
    withReadContext(c, async (ctx) => {
      const input = resolveInputSchema.safeParse({ pluginId: c.req.param("pluginId"), range: c.req.query("range") });
      if (!input.success) throw new RegistryError("BAD_REQUEST", describeIssues(input.error.issues));
      return c.json(await resolveFromDocument(ctx, input.data.pluginId, input.data.range));
    }),
  );

  /** The registry's public signing keys (signatures/signing-keys.ts): public, like the bundles. */
  app.get("/keys", async (c) => c.json(await publicKeySet(readConfig(c.env).signingKeys, new Date())));

  /** A call to an instance's server-side handler (engine/operations.ts), as the verified caller. */
  app.all("/engine/tenants/:tenantId/instances/:instanceId", requireInternalIdentity, serveOperation);
  app.all("/engine/tenants/:tenantId/instances/:instanceId/*", requireInternalIdentity, serveOperation);

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

/** Runs a read with the bucket and a database opened only if the read model must be rebuilt. */
async function withReadContext(
  c: Context<PluginsApp>,
  read: (ctx: { db: Database; bucket: R2Bucket }) => Promise<Response>,
): Promise<Response> {
  const database = onDemandDatabase(readConfig(c.env).database);
  try {
    return await read({
      get db() {
        return database.db;
      },
      bucket: c.env.BUNDLES,
    });
  } finally {
    c.executionCtx.waitUntil(database.close());
  }
}
