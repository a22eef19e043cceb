import {
  ARCHIVE_DEFAULT_ENTRY,
  describeIssues,
  MANIFEST_FILE,
  type PluginManifest,
  pluginManifestJsonSchema,
  SINGLE_FILE_ENTRY,
  tagSchema,
} from "@plugins/schema";
import { TRPCError } from "@trpc/server";
import {
  type BundleFile,
  type BundleLimits,
  BundleRejection,
  detectBundleFormat,
  readBundleArchive,
} from "./bundle-archive";
import type { PublishRequest } from "./publish-version";

export interface UploadLimits {
  /** Largest uploaded file (a JS bundle or an archive), in bytes. */
  maxUploadBytes: number;
  archive: BundleLimits;
}

/**
 * Reads a publish form: `file` (one JS file, or a zip / tar.gz of a built folder with its
 * manifest as plugin.json), `metadata` (the manifest as JSON; required for a single file,
 * optional beside an archive, where it must agree with plugin.json) and `tag`.
 */
export async function readUpload(form: FormData, limits: UploadLimits): Promise<PublishRequest> {
  const file = form.get("file");
  if (!(file instanceof File)) throw badRequest("file: a bundle file is required");
  if (file.size === 0) throw badRequest("file: the bundle is empty");
  if (file.size > limits.maxUploadBytes) {
    throw new TRPCError({
      code: "PAYLOAD_TOO_LARGE",
      message: `file: the bundle is ${file.size} bytes; the limit is ${limits.maxUploadBytes}`,
    });
  }
  const metadata = form.get("metadata");
  if (metadata !== null && typeof metadata !== "string") throw badRequest("metadata: must be a JSON text field");
  const tag = readTag(form.get("tag"));

  const bytes = new Uint8Array(await file.arrayBuffer());
  const format = detectBundleFormat(bytes);
  if (format === "js") {
    if (metadata === null) throw badRequest("metadata: required beside a single-file bundle");
    const manifest = parseManifest(metadata, "metadata");
    const entry = manifest.entry ?? SINGLE_FILE_ENTRY;
    return { manifest, files: [{ path: entry, bytes }], entry, tag };
  }

  const files = await readArchive(bytes, format, limits.archive);
  const manifestFile = files.find((candidate) => candidate.path === MANIFEST_FILE);
  if (!manifestFile) throw badRequest(`file: the archive has no ${MANIFEST_FILE} at its root`);
  const manifest = parseManifest(new TextDecoder().decode(manifestFile.bytes), MANIFEST_FILE);
  if (metadata !== null) {
    const stated = parseManifest(metadata, "metadata");
    if (stated.id !== manifest.id || stated.version !== manifest.version) {
      throw badRequest(
        `metadata: says ${stated.id}@${stated.version} but ${MANIFEST_FILE} says ${manifest.id}@${manifest.version}`,
      );
    }
  }
  return { manifest, files, entry: manifest.entry ?? ARCHIVE_DEFAULT_ENTRY, tag };
}

function readTag(value: File | string | null): string | undefined {
  if (value === null) return undefined;
  const tag = tagSchema.safeParse(value);
  if (!tag.success) throw badRequest(`tag: ${describeIssues(tag.error.issues)}`);
  return tag.data;
}

function parseManifest(text: string, field: string): PluginManifest {
  const manifest = pluginManifestJsonSchema.safeParse(text);
  if (!manifest.success) {
    const described = manifest.error.issues.map((issue) => ({ ...issue, path: [field, ...issue.path] }));
    throw badRequest(describeIssues(described));
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
    throw new TRPCError({ code: tooLarge ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", message: `file: ${error.message}` });
  }
}

function badRequest(message: string): TRPCError {
  return new TRPCError({ code: "BAD_REQUEST", message });
}
