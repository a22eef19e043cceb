import { manifestInputSchema } from "@plugins/schema";
import fresh from "fresh";
import { router, tenantProcedure } from "../trpc/init";
import { publishedUnder, readTenantManifest, servedEtag } from "./manifest";

export const manifestsRouter = router({
  /**
   * What a tenant's frontend loads at boot: its active instances with immutable bundle URLs,
   * SRI integrity, extension points and public config, plus the same as an import map. Read
   * from the copy every write regenerates; `manifest` is null when `ifNoneMatch` is current.
   */
  get: tenantProcedure("admin", "editor", "viewer")
    .input(manifestInputSchema)
    .query(async ({ ctx, input }) => {
      const stored = await readTenantManifest(ctx.db, input.tenantId);
      const origin = ctx.request.publicOrigin;
      const etag = await servedEtag(stored.etag, origin);
      if (input.ifNoneMatch && fresh({ "if-none-match": input.ifNoneMatch }, { etag })) return { etag, manifest: null };
      return { etag, manifest: publishedUnder(stored.document, origin) };
    }),
});
