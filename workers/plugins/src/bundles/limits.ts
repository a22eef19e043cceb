/**
 * The limits on what one publish may upload. Declared apart from the code that enforces them
 * so that the configuration (config.ts) and the tRPC context can name them without importing
 * the upload path.
 */
export interface UploadLimits {
  /** Largest uploaded file (a JS bundle or an archive), in bytes. */
  maxUploadBytes: number;
  archive: BundleLimits;
}

/** What an archive may hold once inflated. */
export interface BundleLimits {
  /** Any single file, uncompressed. */
  maxFileBytes: number;
  /** Sum of all files, uncompressed. */
  maxTotalBytes: number;
  /** Number of files (directories do not count). */
  maxFiles: number;
  /** Total uncompressed file bytes divided by the archive's byte length. */
  maxCompressionRatio: number;
}

export const DEFAULT_BUNDLE_LIMITS: BundleLimits = {
  maxFileBytes: 5 * 1024 * 1024,
  maxTotalBytes: 25 * 1024 * 1024,
  maxFiles: 500,
  maxCompressionRatio: 50,
};
