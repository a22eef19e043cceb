/**
 * The registry's client for other projects: the typed tRPC client, the types of what the
 * registry serves, and the check of a version's signature.
 *
 *   import { createPlatformClient } from "@plugins/client";
 *   const api = createPlatformClient({ baseUrl: "https://plugins.example.com", token });
 *   const { document } = await api.plugins.document.query({ pluginId: "charts" });
 *
 * The browser loader of a tenant's plugins is `@plugins/client/loader`.
 */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "./router";

export type {
  ImportMap,
  KeySet,
  ManifestPlugin,
  SignatureProblem,
  SigningPublicKey,
  StatedVersion,
  TenantManifest,
  VersionSignature,
} from "@plugins/schema";
export { filesDigest, verifyVersionSignature } from "@plugins/schema";
export type { TokenSource } from "./bearer-token";
export { createPlatformClient, type PlatformClientOptions } from "./platform-client";
export { type VerifiableVersion, verifyVersion } from "./verify-version";
export type { AppRouter };

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** A plugin's package document (`GET /api/plugins/:id`, `plugins.document`), like npm's packument. */
export type PackageDocument = NonNullable<RouterOutputs["plugins"]["document"]["document"]>;
/** One version of a package document; a blocked one keeps only its status and date. */
export type DocumentVersion = PackageDocument["versions"][string];
