import {
  ARCHIVE_DEFAULT_ENTRY,
  describeIssues,
  hasMorePartsThan,
  MANIFEST_FILE,
  MAX_UPLOAD_PARTS,
  multipartBoundary,
  type PluginManifest,
  pluginManifestJsonSchema,
  pluginManifestSchema,
  quotePath,
  SINGLE_FILE_ENTRY,
  tagSchema,
  uploadPartsIssue,
} from "@plugins/schema";
import canonicalize from "canonicalize";
import { RegistryError } from "../lib/errors";
import { type BundleFile, BundleRejection, detectBundleFormat, readBundleArchive } from "./archive";
import type { BundleLimits, UploadLimits } from "./limits";

/** What a publish form holds once read: the version to publish. */
export interface PublishRequest {
  manifest: PluginManifest;
  /** Every file of the version, the entry among them. */
  files: ReadonlyArray<{ path: string; bytes: Uint8Array<ArrayBuffer> }>;
  entry: string;
  /** A dist-tag to point at the new version besides `latest` following the highest stable. */
  tag?: string;
}

/**
 * The request tRPC reads a call from. Uploads to /trpc/plugins.publish arrive here unparsed,
 * so a multipart body is scanned for its number of parts before the form parser runs: a
 * flood of tiny parts costs a byte search, never a parse. Other bodies read as they are.
 */
export class BoundedUploadRequest extends Request {
  override async formData(): Promise<FormData> {
    const contentType = this.headers.get("content-type") ?? "";
    const { boundary, problem } = multipartBoundary(contentType);
    if (problem !== undefined) throw new RegistryError("BAD_REQUEST", problem);
    const body = new Uint8Array(await this.arrayBuffer());
    if (hasMorePartsThan(body, boundary, MAX_UPLOAD_PARTS)) throw new RegistryError("BAD_REQUEST", uploadPartsIssue);
    return new Response(body, { headers: { "content-type": contentType } }).formData();
  }
}

/**
 * Reads a publish form: `file` (one JS file, or a zip / tar.gz of a built folder with its
 * manifest as plugin.json), `metadata` (the manifest as JSON; required for a single file,
 * optional beside an archive, where it must agree with plugin.json) and `tag`.
 */
export async function readUpload(form: FormData, limits: UploadLimits): Promise<PublishRequest> {
  const file = form.get("file");
  if (!(file instanceof File)) throw new RegistryError("BAD_REQUEST", "file: a bundle file is required");
  if (file.size === 0) throw new RegistryError("BAD_REQUEST", "file: the bundle is empty");
  if (file.size > limits.maxUploadBytes) {
    throw new RegistryError(
      "PAYLOAD_TOO_LARGE",
      `file: the bundle is ${file.size} bytes; the limit is ${limits.maxUploadBytes}`,
    );
  }
  const metadata = form.get("metadata");
  if (metadata !== null && typeof metadata !== "string") {
    throw new RegistryError("BAD_REQUEST", "metadata: must be a JSON text field");
  }
  const tag = readTag(form.get("tag"));

  const bytes = new Uint8Array(await file.arrayBuffer());
  const format = detectBundleFormat(bytes);
  if (format === "js") {
    if (metadata === null) throw new RegistryError("BAD_REQUEST", "metadata: required beside a single-file bundle");
    const manifest = parseManifest(metadata, "metadata");
    const entry = manifest.entry ?? SINGLE_FILE_ENTRY;
    refuseListingFilesBeside(manifest, entry);
    return { manifest, files: [{ path: entry, bytes }], entry, tag };
  }

  const files = await readArchive(bytes, format, limits.archive);
  const manifestFile = files.find((candidate) => candidate.path === MANIFEST_FILE);
  if (!manifestFile) throw new RegistryError("BAD_REQUEST", `file: the archive has no ${MANIFEST_FILE} at its root`);
  const manifest = parseManifest(new TextDecoder().decode(manifestFile.bytes), MANIFEST_FILE);
  if (metadata !== null) {
    const field = firstDisagreement(parseManifest(metadata, "metadata"), manifest);
    if (field) {
      throw new RegistryError(
        "BAD_REQUEST",
        `metadata.${field}: differs from ${MANIFEST_FILE}; metadata beside an archive must be the same manifest, or left out`,
      );
    }
  }
  return { manifest, files, entry: manifest.entry ?? ARCHIVE_DEFAULT_ENTRY, tag };
}

/**
 * A single-file bundle holds its entry and nothing else, so a readme or icon file it names
 * cannot be there: said as such, with what to do instead, rather than "not a file of the bundle".
 */
function refuseListingFilesBeside(manifest: PluginManifest, entry: string): void {
  const named: Array<[field: string, path: string | undefined]> = [
    ["readme", typeof manifest.readme === "string" ? manifest.readme : undefined],
    ["icon", manifest.icon],
  ];
  for (const [field, path] of named) {
    if (path === undefined) continue;
    throw new RegistryError(
      "BAD_REQUEST",
      `${field}: a single-file bundle holds only its entry (${quotePath(entry)}), not ${quotePath(path)}; publish an archive with the file${field === "readme" ? ', or give the readme inline as {"text": "…"}' : ""}`,
    );
  }
}

/**
 * The first manifest field (in the manifest's own order) in which two parsed manifests
 * differ, or null. Parsed, so defaults are filled in and versions normalized, and compared
 * as canonical JSON, so key order inside `config` or `author` does not count as a difference.
 */
function firstDisagreement(stated: PluginManifest, manifest: PluginManifest): string | null {
  const fields = Object.keys(pluginManifestSchema.shape) as Array<keyof PluginManifest>;
  return fields.find((field) => canonicalize(stated[field]) !== canonicalize(manifest[field])) ?? null;
}

function readTag(value: File | string | null): string | undefined {
  if (value === null) return undefined;
  const tag = tagSchema.safeParse(value);
  if (!tag.success) throw new RegistryError("BAD_REQUEST", `tag: ${describeIssues(tag.error.issues)}`);
  return tag.data;
}

function parseManifest(text: string, field: string): PluginManifest {
  const manifest = pluginManifestJsonSchema.safeParse(text);
  if (!manifest.success) {
    const described = manifest.error.issues.map((issue) => ({ ...issue, path: [field, ...issue.path] }));
    throw new RegistryError("BAD_REQUEST", describeIssues(described));
  }
  return manifest.data;
}

async function readArchive(
  bytes: Uint8Array<ArrayBuffer>,
  format: "zip" | "tar.gz",
  limits: BundleLimits,
): Promise<BundleFile[]> {
  try {
    return await readBundleArchive(bytes, format, limits);
  } catch (error) {
    if (!(error instanceof BundleRejection)) throw error;
    const tooLarge = ["too_many_files", "file_too_large", "too_large", "compression_ratio"].includes(error.reason);
    throw new RegistryError(tooLarge ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", `file: ${error.message}`);
  }
}
