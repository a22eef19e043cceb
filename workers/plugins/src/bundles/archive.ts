/**
 * Turns an uploaded plugin bundle (zip or tar.gz) into the list of files to store, refusing
 * anything unsafe: odd paths, links and devices, duplicates, and archives that inflate past
 * the limits. Runs in workerd (web streams, DecompressionStream) and in Node for the tests.
 *
 * Parsing is left to maintained libraries, checked for what we rely on:
 * - modern-tar decodes tar from a web stream and hands back each name exactly as stored
 *   (no `..` or `/` cleanup), so we see and refuse the original. Its `strict` mode is what
 *   turns bad checksums, truncation and a missing end-of-archive marker into errors; without
 *   it those are skipped silently. It maps unknown type flags to "file", so such entries
 *   are read as plain files (their bytes are stored, never interpreted as links).
 * - zip.js reads the central directory (external attributes included, so symlinks are
 *   visible) and streams each entry through the platform's DecompressionStream. Its own
 *   filename check is turned off so that ours, which names the entry, decides. It is
 *   imported from its "native" build, which carries no Web Worker or WebAssembly code
 *   (workerd can start neither) and falls back to plain JS inflation where needed.
 *
 * Sizes declared in headers are never trusted: every decompressed chunk is counted as it
 * arrives and the read is aborted as soon as a limit is crossed.
 */
import { hasTrailingDotOrSpace, INVISIBLE_IN_PATH, quotePath, UNSAFE_IN_PATH } from "@plugins/schema";
import { type Entry, Uint8ArrayReader, ZipReader } from "@zip.js/zip.js/lib/zip-core-native.js";
import { createTarDecoder, type ParsedTarEntry } from "modern-tar";
import { type BundleLimits, DEFAULT_BUNDLE_LIMITS } from "./limits";

export interface BundleFile {
  path: string;
  bytes: Uint8Array<ArrayBuffer>;
}

export type BundleFormat = "js" | "zip" | "tar.gz";

export type BundleRejectionReason =
  | "malformed"
  | "unsafe_path"
  | "link"
  | "duplicate"
  | "too_many_files"
  | "file_too_large"
  | "too_large"
  | "compression_ratio"
  | "empty";

export class BundleRejection extends Error {
  override readonly name = "BundleRejection";

  constructor(
    readonly reason: BundleRejectionReason,
    message: string,
  ) {
    super(message);
  }
}

/** Detects the format from magic bytes: zip "PK\x03\x04" (also empty-zip "PK\x05\x06"), gzip 1f 8b; anything else is a single JS file. */
export function detectBundleFormat(bytes: Uint8Array): BundleFormat {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    if ((bytes[2] === 0x03 && bytes[3] === 0x04) || (bytes[2] === 0x05 && bytes[3] === 0x06)) return "zip";
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return "tar.gz";
  return "js";
}

/**
 * Reads an archive into files. Throws BundleRejection for anything refused.
 *
 * Directory entries are skipped. A single top-level folder wrapping everything (`package/`
 * as npm tarballs do, or `dist/`) is stripped, but only when every file is inside that one
 * folder, there is no root `plugin.json`, and there is a `<folder>/plugin.json`: the
 * manifest, not the folder's name, is what shows the folder is a wrapper.
 */
export async function readBundleArchive(
  bytes: Uint8Array<ArrayBuffer>,
  format: "zip" | "tar.gz",
  limits: BundleLimits = DEFAULT_BUNDLE_LIMITS,
): Promise<BundleFile[]> {
  const collector = new Collector(limits, bytes.byteLength);
  try {
    if (format === "zip") await readZip(bytes, collector);
    else await readTarGz(bytes, collector, limits);
  } catch (error) {
    // Library errors (bad checksums, truncated streams, corrupt directories) all mean the
    // upload is not a readable archive; only our own refusals keep their reason.
    if (error instanceof BundleRejection) throw error;
    const where =
      collector.currentEntry === undefined ? "archive" : `archive entry ${quotePath(collector.currentEntry)}`;
    throw new BundleRejection("malformed", `${where} could not be read as ${format}: ${describe(error)}`);
  }
  if (collector.files.length === 0) throw new BundleRejection("empty", "archive contains no files");
  return stripWrapperFolder(collector.files);
}

/**
 * Compressed tar.gz input is fed in slices so that inflation follows backpressure. Node's and
 * workerd's DecompressionStream already pause inside a large input chunk; slicing keeps the
 * bound even where one would not: at deflate's maximal ratio (about 1032:1) a slice inflates
 * to about 16 MiB at most, so a bomb stops soon after a limit, not after its whole expansion.
 */
const INPUT_SLICE_BYTES = 16 * 1024;

const MAX_PATH_LENGTH = 512;
/** Uncompressed bytes below which the compression ratio is not checked. */
const RATIO_FLOOR_BYTES = 1024 * 1024;
const MAX_SEGMENT_LENGTH = 255;

/**
 * Validates a path and returns it; directories may carry one trailing slash. One leading
 * "./" is dropped, because `tar czf bundle.tgz -C dist .` names every entry that way.
 */
function checkPath(name: string, isDirectory: boolean): string {
  const relative = name.startsWith("./") ? name.slice(2) : name;
  const path = isDirectory && relative.endsWith("/") ? relative.slice(0, -1) : relative;
  const refuse = (why: string) => new BundleRejection("unsafe_path", `archive entry ${quotePath(name)}: ${why}`);
  // Control characters (Unicode category Cc, NUL included) truncate names in C code and
  // play tricks on terminals and logs.
  if (/\p{Cc}/u.test(path)) throw refuse("paths may not contain control characters");
  if (path.includes("\\")) throw refuse("paths may not contain backslashes");
  if (UNSAFE_IN_PATH.test(path)) throw refuse("paths may not contain '%', '?' or '#', which change a URL's meaning");
  const invisible = INVISIBLE_IN_PATH.exec(path);
  if (invisible) {
    throw refuse(
      `paths may not contain invisible, blank or bidirectional control characters, nor spaces other than U+0020 (here U+${codePoint(invisible[0])}), which make a name look like another`,
    );
  }
  if (path.startsWith("/")) throw refuse("paths may not be absolute");
  if (/^[A-Za-z]:/.test(path)) throw refuse("paths may not start with a drive letter");
  if (path.length > MAX_PATH_LENGTH) throw refuse(`paths may not be longer than ${MAX_PATH_LENGTH} characters`);
  for (const segment of path.split("/")) {
    if (segment === "..") throw refuse("paths may not contain '..'");
    if (segment === ".") throw refuse("paths may not contain '.' segments");
    if (segment === "") throw refuse("paths may not contain empty segments");
    if (hasTrailingDotOrSpace(segment)) {
      throw refuse("path segments may not end in a dot or a space, which some systems drop from a name");
    }
    if (segment.length > MAX_SEGMENT_LENGTH) {
      throw refuse(`path segments may not be longer than ${MAX_SEGMENT_LENGTH} characters`);
    }
  }
  return path;
}

/** Gathers files while enforcing every limit on the bytes that actually arrive. */
class Collector {
  readonly files: BundleFile[] = [];
  /** The entry being read, to name it when a library error interrupts it. */
  currentEntry: string | undefined;
  private readonly seen = new Map<string, string>();
  private totalBytes = 0;

  constructor(
    private readonly limits: BundleLimits,
    private readonly archiveBytes: number,
  ) {}

  /** Checks a directory entry's path; directories themselves are not stored. */
  directory(name: string): void {
    if (name === "./" || name === ".") return;
    checkPath(name, true);
  }

  /** Registers a file before its body is read, and returns the sink for its bytes. */
  file(name: string): FileSink {
    this.currentEntry = name;
    const path = checkPath(name, false);
    // Same path after NFC normalization and case folding: some filesystems and CDNs fold
    // case, so `A.js` and `a.js` would overwrite each other or serve the wrong one.
    const key = path.normalize("NFC").toLowerCase();
    const earlier = this.seen.get(key);
    if (earlier !== undefined) {
      throw new BundleRejection(
        "duplicate",
        `archive entry ${quotePath(name)} has the same path as ${quotePath(earlier)} (paths must be unique, ignoring case)`,
      );
    }
    this.seen.set(key, name);
    if (this.files.length >= this.limits.maxFiles) {
      throw new BundleRejection("too_many_files", `archive has more than ${this.limits.maxFiles} files`);
    }
    return new FileSink(this, path, name);
  }

  /** Counts one decompressed chunk against the limits; called before the chunk is kept. */
  count(name: string, fileBytes: number, chunkBytes: number): void {
    const { maxFileBytes, maxTotalBytes, maxCompressionRatio } = this.limits;
    if (fileBytes > maxFileBytes) {
      throw new BundleRejection(
        "file_too_large",
        `archive entry ${quotePath(name)} is larger than ${maxFileBytes} bytes`,
      );
    }
    this.totalBytes += chunkBytes;
    if (this.totalBytes > maxTotalBytes) {
      throw new BundleRejection(
        "too_large",
        `archive is larger than ${maxTotalBytes} bytes uncompressed (limit reached at entry ${quotePath(name)})`,
      );
    }
    // The ratio only grows while reading, so checking it per chunk stops a bomb early and
    // gives the same answer as checking the final total. Below a floor a high ratio is just
    // a small, repetitive bundle, harmless at that size.
    if (this.totalBytes > RATIO_FLOOR_BYTES && this.totalBytes > this.archiveBytes * maxCompressionRatio) {
      throw new BundleRejection(
        "compression_ratio",
        `archive expands more than ${maxCompressionRatio} times its ${this.archiveBytes} bytes (limit reached at entry ${quotePath(name)})`,
      );
    }
  }

  add(file: BundleFile): void {
    this.files.push(file);
    this.currentEntry = undefined;
  }
}

/** Receives one file's decompressed chunks. */
class FileSink {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  constructor(
    private readonly collector: Collector,
    private readonly path: string,
    private readonly name: string,
  ) {}

  push(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    this.collector.count(this.name, this.size, chunk.byteLength);
    this.chunks.push(chunk);
  }

  /** Copies the chunks into one array: they are often views into much larger library buffers. */
  end(): void {
    const bytes = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    this.collector.add({ path: this.path, bytes });
  }
}

/**
 * tar headers, padding and directory entries are not file bytes, yet inflating them costs
 * memory and time all the same, so the whole tar stream also gets a budget: the file budget
 * plus this much per allowed file (header, long-name header, padding, a directory) plus slack.
 */
const TAR_OVERHEAD_PER_FILE = 4096;
const TAR_OVERHEAD_SLACK = 1024 * 1024;

async function readTarGz(bytes: Uint8Array<ArrayBuffer>, collector: Collector, limits: BundleLimits): Promise<void> {
  const streamBudget = limits.maxTotalBytes + limits.maxFiles * TAR_OVERHEAD_PER_FILE + TAR_OVERHEAD_SLACK;
  let streamBytes = 0;
  const budget = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      streamBytes += chunk.byteLength;
      if (streamBytes > streamBudget) {
        throw new BundleRejection(
          "too_large",
          `archive's tar stream is larger than ${streamBudget} bytes uncompressed`,
        );
      }
      controller.enqueue(chunk);
    },
  });
  const entries = sliced(bytes)
    .pipeThrough(new DecompressionStream("gzip"))
    .pipeThrough(budget)
    .pipeThrough(createTarDecoder({ strict: true }))
    .getReader();
  try {
    for (;;) {
      const { done, value: entry } = await entries.read();
      if (done) return;
      await readTarEntry(entry, collector);
    }
  } catch (error) {
    // Stops the decompression behind us; the budget stream reports its error this way too.
    await entries.cancel(error).catch(() => {});
    throw error;
  }
}

async function readTarEntry({ header, body }: ParsedTarEntry, collector: Collector): Promise<void> {
  const { name, type = "file" } = header;
  if (type === "directory") {
    collector.directory(name);
    await body.cancel();
    return;
  }
  if (type !== "file") {
    // Symlinks and hard links could point outside the bundle or at another file; devices
    // and fifos have no place in one. Only plain files and directories are accepted.
    const what = type === "symlink" ? "a symbolic link" : type === "link" ? "a hard link" : `a ${type}`;
    throw new BundleRejection(
      "link",
      `archive entry ${quotePath(name)} is ${what}; only files and directories are allowed`,
    );
  }
  const sink = collector.file(name);
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    sink.push(value);
  }
  sink.end();
}

/** Unix file type bits in the upper half of a zip entry's external attributes. */
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

async function readZip(bytes: Uint8Array, collector: Collector): Promise<void> {
  const zip = new ZipReader(new Uint8ArrayReader(bytes), {
    // workerd cannot start Web Workers; decompression runs inline on the platform's streams.
    useWebWorkers: false,
    // Refuse archives whose local headers disagree with the central directory, or that
    // carry data before or after the archive: other tools could read them differently.
    strictness: "strict",
    // Our own path check runs instead, so that the error names the entry.
    filenameValidation: "tolerant",
    checkCrc32: true,
  });
  try {
    for (const entry of await zip.getEntries()) await readZipEntry(entry, collector);
  } finally {
    await zip.close();
  }
}

async function readZipEntry(entry: Entry, collector: Collector): Promise<void> {
  const name = entry.filename;
  // zip.js flags S_IFLNK; any other non-regular Unix type (device, fifo, socket) is refused too.
  const types = [entry.externalFileAttributes >>> 16, entry.unixMode ?? 0].map((mode) => mode & S_IFMT);
  if (entry.symlink || types.some((type) => type !== 0 && type !== S_IFREG && type !== S_IFDIR)) {
    throw new BundleRejection(
      "link",
      `archive entry ${quotePath(name)} is ${entry.symlink ? "a symbolic link" : "a special file"}; only files and directories are allowed`,
    );
  }
  if (entry.directory) {
    collector.directory(name);
    return;
  }
  const sink = collector.file(name);
  // zip.js may wrap an error thrown by the writable; keep ours so its reason survives.
  let refusal: unknown;
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      try {
        sink.push(chunk);
      } catch (error) {
        refusal = error;
        throw error;
      }
    },
  });
  try {
    await entry.getData(writable);
  } catch (error) {
    throw refusal ?? error;
  }
  sink.end();
}

/** A stream over the bytes in small slices, produced only as the consumer asks for them. */
function sliced(bytes: Uint8Array<ArrayBuffer>): ReadableStream<Uint8Array<ArrayBuffer>> {
  let offset = 0;
  return new ReadableStream<Uint8Array<ArrayBuffer>>(
    {
      pull(controller) {
        if (offset >= bytes.byteLength) {
          controller.close();
          return;
        }
        controller.enqueue(bytes.subarray(offset, offset + INPUT_SLICE_BYTES));
        offset += INPUT_SLICE_BYTES;
      },
    },
    { highWaterMark: 0 },
  );
}

function stripWrapperFolder(files: BundleFile[]): BundleFile[] {
  if (files.some((file) => file.path === "plugin.json")) return files;
  const folder = files[0]?.path.split("/")[0];
  const prefix = `${folder}/`;
  if (!files.every((file) => file.path.startsWith(prefix))) return files;
  if (!files.some((file) => file.path === `${prefix}plugin.json`)) return files;
  return files.map((file) => ({ path: file.path.slice(prefix.length), bytes: file.bytes }));
}

function codePoint(character: string): string {
  return (character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
