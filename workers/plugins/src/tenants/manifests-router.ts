import { manifestInputSchema, type TenantManifest } from "@plugins/schema";
import fresh from "fresh";
import { readDocument } from "../read-models/read-model";
import { tenantManifestModel } from "../read-models/tenant-manifests";
import { router, tenantProcedure } from "../trpc/init";
import { publishedUnder, servedEtag } from "./manifest";

export const manifestsRouter = router({
  /**
   * What a tenant's frontend loads at boot: its active instances with immutable bundle URLs,
   * SRI integrity, extension points and public config, plus the same as an import map. Read
   * from its read model, which every write regenerates: no database on the way. `manifest`
   * is null when `ifNoneMatch` is current.
   */
  get: tenantProcedure("admin", "editor", "viewer")
    .input(manifestInputSchema)
    .query(async ({ ctx, input }) => {
      const stored = await readDocument(ctx, ctx.bucket, tenantManifestModel, input.tenantId);
      // Every tenant has a manifest, if only an empty one (tenantManifestModel.absent).
      if (!stored) throw new Error(`no manifest was built for tenant '${input.tenantId}'`);
      const origin = ctx.request.publicOrigin;
      const etag = await servedEtag(stored.etag, origin);
      if (input.ifNoneMatch && fresh({ "if-none-match": input.ifNoneMatch }, { etag })) return { etag, manifest: null };
      return { etag, manifest: publishedUnder(stored.document as TenantManifest, origin) };
    }),
});
