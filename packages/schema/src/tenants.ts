import { z } from "zod";
import { ifNoneMatchSchema } from "./conditional-requests";
import { tenantIdSchema } from "./identity";
import { labelSchema, versionSchema } from "./plugins";
import type { VersionSignature } from "./signatures";
import { plainText } from "./text";

export const registerHostInputSchema = z.object({
  tenantId: tenantIdSchema,
  /** The host application's own version, matched against plugins' `engines.host`. */
  version: versionSchema,
  /** Every extension point the host offers; replaces what was registered before. */
  extensionPoints: z
    .array(
      z.strictObject({
        name: labelSchema,
        description: plainText().max(500).default(""),
        contractVersion: versionSchema,
      }),
    )
    .max(200)
    .refine((points) => new Set(points.map((point) => point.name)).size === points.length, {
      message: "must not name an extension point twice",
    }),
});

/** One active instance, as a frontend loads it. URLs are absolute when served. */
export interface ManifestPlugin {
  instanceId: string;
  pluginId: string;
  version: string;
  /** The entry file's immutable URL. */
  url: string;
  /** SRI of the entry file. */
  integrity: string;
  extensionPoints: string[];
  /** The public configuration; secret fields never appear here. */
  config: Record<string, unknown>;
  deprecated: { message: string; replacement: string | null } | null;
  /**
   * The registry's signature of the version (signatures.ts): a loader checks it against
   * `GET /api/keys` with the statement `{ plugin: pluginId, version, entry: integrity, files: signature.files }`.
   */
  signature: VersionSignature | null;
}

/** The import-map form: a page can put it in `<script type="importmap">` as it is. */
export interface ImportMap {
  imports: Record<string, string>;
  integrity: Record<string, string>;
}

/** What a tenant's frontend needs at boot. */
export interface TenantManifest {
  tenantId: string;
  host: { version: string; extensionPoints: { name: string; contractVersion: string }[] } | null;
  plugins: ManifestPlugin[];
  /** Active instances left out: their version was blocked, or fails the tenant's signature policy. */
  withheld: { instanceId: string; pluginId: string; version: string; reason: string }[];
  importMap: ImportMap;
}

export const manifestInputSchema = z.object({
  tenantId: tenantIdSchema,
  ifNoneMatch: ifNoneMatchSchema,
});

/** The bare specifier an instance is imported by in the import map. */
export function importSpecifier(instanceId: string): string {
  return `@plugins/${instanceId}`;
}

/** `policies.set`: what a tenant demands of the versions it runs. */
export const setTenantPolicyInputSchema = z.strictObject({
  tenantId: tenantIdSchema,
  /** Only versions signed by a key GET /api/keys lists, unexpired, may be installed, upgraded to or served. */
  requireSignatures: z.boolean(),
});
