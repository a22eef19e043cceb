import {
  Reader,
  TextReader,
  Uint8ArrayReader,
  Uint8ArrayWriter,
  ZipWriter,
} from "@zip.js/zip.js/lib/zip-core-native.js";
import { createTarPacker, packTar, type TarEntry, type TarHeader } from "modern-tar";
import { describe, expect, it } from "vitest";
import {
  type BundleFile,
  BundleRejection,
  type BundleRejectionReason,
  detectBundleFormat,
  readBundleArchive,
} from "./archive";
import { type BundleLimits, DEFAULT_BUNDLE_LIMITS } from "./limits";

const MiB = 1024 * 1024;
/** Fixtures are ArrayBuffer-backed, as uploads are (`File.arrayBuffer()`). */
const text = (value: string) => new TextEncoder().encode(value).slice();

// ---- fixtures --------------------------------------------------------------------------

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return collect(new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")));
}

function tarFile(name: string, body: string | Uint8Array, header: Partial<TarHeader> = {}): TarEntry {
  const bytes = typeof body === "string" ? text(body) : body;
  return { header: { name, size: bytes.byteLength, type: "file", ...header }, body: bytes };
}

function tarSpecial(name: string, type: NonNullable<TarHeader["type"]>, linkname?: string): TarEntry {
  return { header: { name, size: 0, type, ...(linkname === undefined ? {} : { linkname }) } };
}

const tarDir = (name: string) => tarSpecial(name, "directory");

async function tarGz(entries: TarEntry[]): Promise<Uint8Array<ArrayBuffer>> {
  return gzip(await packTar(entries));
}

interface ZipInput {
  name: string;
  body?: string | Uint8Array;
  directory?: boolean;
  unixMode?: number;
}

async function zip(entries: ZipInput[]): Promise<Uint8Array<ArrayBuffer>> {
  const writer = new ZipWriter(new Uint8ArrayWriter(), { useWebWorkers: false });
  for (const { name, body = "", directory, unixMode } of entries) {
    const reader = typeof body === "string" ? new TextReader(body) : new Uint8ArrayReader(body);
    await writer.add(name, directory ? undefined : reader, {
      ...(directory ? { directory } : {}),
      ...(unixMode === undefined ? {} : { unixMode }),
    });
  }
  return (await writer.close()).slice();
}

/** `count` MiB of zeros, produced one reused MiB at a time so the fixture itself stays small. */
function zeros(count: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(MiB);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ < count) controller.enqueue(chunk);
      else controller.close();
    },
  });
}

/** A tar.gz with one file of `count` MiB of zeros, packed and compressed as a stream. */
async function zeroTarGz(name: string, count: number): Promise<Uint8Array<ArrayBuffer>> {
  const { readable, controller } = createTarPacker();
  const archive = collect(readable.pipeThrough(new CompressionStream("gzip")));
  await zeros(count).pipeTo(controller.add({ name, size: count * MiB, type: "file" }));
  controller.finalize();
  return archive;
}

/** Zeros made on demand, so that a large zip fixture does not hold its content in memory. */
class ZeroReader extends Reader<number> {
  constructor(size: number) {
    super(size);
    this.size = size;
  }

  override async readUint8Array(_index: number, length: number): Promise<Uint8Array> {
    return new Uint8Array(length);
  }
}

/** A zip with one deflated file of `count` MiB of zeros (sizes in the headers, no data descriptor). */
async function zeroZip(name: string, count: number): Promise<Uint8Array<ArrayBuffer>> {
  const writer = new ZipWriter(new Uint8ArrayWriter(), { useWebWorkers: false });
  await writer.add(name, new ZeroReader(count * MiB), { dataDescriptor: false, zip64: false });
  return (await writer.close()).slice();
}

/** Random bytes: they do not compress, so only the size limits can trip. */
function random(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
  return bytes;
}

/** Offset of the first central directory header, read from the end-of-central-directory record. */
function centralDirectoryOffset(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.byteLength - 22;
  expect(view.getUint32(end, true)).toBe(0x06054b50);
  return view.getUint32(end + 16, true);
}

async function rejectionOf(promise: Promise<unknown>): Promise<BundleRejection> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BundleRejection);
    return error as BundleRejection;
  }
  throw new Error("expected the archive to be refused");
}

async function expectRefused(
  promise: Promise<unknown>,
  reason: BundleRejectionReason,
  ...inMessage: string[]
): Promise<BundleRejection> {
  const rejection = await rejectionOf(promise);
  expect(rejection.reason, rejection.message).toBe(reason);
  for (const part of inMessage) expect(rejection.message).toContain(part);
  return rejection;
}

/** Node's count of bytes held in ArrayBuffers; typed here so the file also checks under the worker types. */
function arrayBufferBytes(): number {
  const { process } = globalThis as unknown as { process: { memoryUsage(): { arrayBuffers: number } } };
  return process.memoryUsage().arrayBuffers;
}

/**
 * Runs `work`, sampling the largest rise of the bytes held in ArrayBuffers above their lowest
 * point so far: a rise above the starting point alone could hide behind fixture garbage that
 * happens to be collected meanwhile.
 */
async function measure(work: () => Promise<unknown>): Promise<{ outcome: unknown; ms: number; peakBytes: number }> {
  let lowest = arrayBufferBytes();
  let peakBytes = 0;
  const sample = () => {
    const now = arrayBufferBytes();
    lowest = Math.min(lowest, now);
    peakBytes = Math.max(peakBytes, now - lowest);
  };
  const sampler = setInterval(sample, 1);
  const started = performance.now();
  const outcome = await work().catch((error: unknown) => error);
  const ms = performance.now() - started;
  clearInterval(sampler);
  sample();
  return { outcome, ms, peakBytes };
}

const sorted = (files: BundleFile[]) =>
  [...files].sort((a, b) => (a.path < b.path ? -1 : 1)).map(({ path, bytes }) => ({ path, bytes: [...bytes] }));

// ---- happy paths -----------------------------------------------------------------------

const binary = Uint8Array.from({ length: 256 }, (_, index) => index);
const longPath = `assets/${"deep/".repeat(25)}file.txt`; // over 100 characters: needs a ustar prefix or pax
const bundle: BundleFile[] = [
  { path: "plugin.json", bytes: text('{"name":"demo"}') },
  { path: "index.js", bytes: text("export default 1;\n//# sourceMappingURL=index.js.map") },
  { path: "index.js.map", bytes: text('{"version":3,"mappings":""}') },
  { path: "styles/theme/main.css", bytes: text("body { color: red }") },
  { path: "assets/img/logo.bin", bytes: binary },
  { path: "assets/empty.txt", bytes: new Uint8Array(0) },
  { path: longPath, bytes: text("long") },
];

describe("detectBundleFormat", () => {
  it("recognises zip, empty zip and gzip by their magic bytes", async () => {
    expect(detectBundleFormat(await zip([{ name: "a.js", body: "1" }]))).toBe("zip");
    expect(detectBundleFormat(Uint8Array.of(0x50, 0x4b, 0x05, 0x06, ...new Uint8Array(18)))).toBe("zip");
    expect(detectBundleFormat(await tarGz([tarFile("a.js", "1")]))).toBe("tar.gz");
  });

  it("treats anything else as a single JS file", () => {
    expect(detectBundleFormat(text("export default {}"))).toBe("js");
    expect(detectBundleFormat(text("PK is not enough"))).toBe("js");
    expect(detectBundleFormat(Uint8Array.of(0x1f))).toBe("js");
    expect(detectBundleFormat(new Uint8Array(0))).toBe("js");
  });
});

describe("readBundleArchive: accepted archives", () => {
  it("reads a tar.gz with nested folders, text and binary files", async () => {
    const archive = await tarGz([
      tarDir("styles/"),
      tarDir("styles/theme/"),
      ...bundle.map(({ path, bytes }) => tarFile(path, bytes)),
    ]);
    expect(detectBundleFormat(archive)).toBe("tar.gz");
    expect(sorted(await readBundleArchive(archive, "tar.gz"))).toEqual(sorted(bundle));
  });

  it("reads a zip with nested folders, text and binary files", async () => {
    const archive = await zip([
      { name: "styles/", directory: true },
      ...bundle.map(({ path, bytes }) => ({ name: path, body: bytes })),
    ]);
    expect(sorted(await readBundleArchive(archive, "zip"))).toEqual(sorted(bundle));
  });

  it("strips the npm-style package/ folder of a tarball", async () => {
    const archive = await tarGz([
      tarDir("package/"),
      ...bundle.map(({ path, bytes }) => tarFile(`package/${path}`, bytes)),
    ]);
    expect(sorted(await readBundleArchive(archive, "tar.gz"))).toEqual(sorted(bundle));
  });

  it("strips a single dist/ folder of a zip", async () => {
    const archive = await zip([
      { name: "dist/", directory: true },
      { name: "dist/plugin.json", body: "{}" },
      { name: "dist/lib/a.js", body: "a" },
    ]);
    expect((await readBundleArchive(archive, "zip")).map((file) => file.path).sort()).toEqual([
      "lib/a.js",
      "plugin.json",
    ]);
  });

  it("keeps the folder when a file lies outside it, plugin.json is at the root, or the folder has none", async () => {
    const paths = async (names: string[]) =>
      (await readBundleArchive(await tarGz(names.map((name) => tarFile(name, "x"))), "tar.gz"))
        .map((file) => file.path)
        .sort();
    expect(await paths(["dist/plugin.json", "dist/a.js", "README.md"])).toEqual([
      "README.md",
      "dist/a.js",
      "dist/plugin.json",
    ]);
    expect(await paths(["plugin.json", "package/plugin.json"])).toEqual(["package/plugin.json", "plugin.json"]);
    expect(await paths(["package/index.js", "package/lib/a.js"])).toEqual(["package/index.js", "package/lib/a.js"]);
  });

  it("drops the leading ./ that `tar -C dist .` writes before every entry", async () => {
    const archive = await tarGz([
      tarFile("./", "", { type: "directory" }),
      tarFile("./plugin.json", "{}"),
      tarFile("./chunks/a.js", "a"),
    ]);
    const files = await readBundleArchive(archive, "tar.gz");
    expect(files.map((file) => file.path).sort()).toEqual(["chunks/a.js", "plugin.json"]);
  });

  it("lets a small, very repetitive bundle through: the ratio applies past 1 MiB", async () => {
    const archive = await tarGz([tarFile("plugin.json", "{}"), tarFile("zeros.bin", new Uint8Array(512 * 1024))]);
    expect(await readBundleArchive(archive, "tar.gz")).toHaveLength(2);
  });

  it("accepts a file of exactly the size limit and an archive of exactly the file limit", async () => {
    const limits: BundleLimits = { maxFileBytes: 1000, maxTotalBytes: 3000, maxFiles: 3, maxCompressionRatio: 50 };
    const archive = await tarGz([tarFile("a", random(1000)), tarFile("b", random(1000)), tarFile("c", random(1000))]);
    expect(await readBundleArchive(archive, "tar.gz", limits)).toHaveLength(3);
  });
});

// ---- refusals --------------------------------------------------------------------------

describe("readBundleArchive: unsafe paths", () => {
  const cases: Array<[string, string]> = [
    ["../x.js", "'..'"],
    ["/etc/passwd", "absolute"],
    ["a/../../b", "'..'"],
    ["a/./b.js", "'.' segments"],
    ["././a.js", "'.' segments"],
    ["a\\b.js", "backslashes"],
    ["C:/x", "drive letter"],
    ["a//b.js", "empty segments"],
    ["a\u0000b.js", "control characters"],
    ["\u001b[31mred.js", "control characters"],
    [`${"a/".repeat(257)}x`, "longer than 512 characters"],
    [`${"a".repeat(256)}.js`, "longer than 255 characters"],
  ];

  for (const [name, why] of cases) {
    const label = JSON.stringify(name.length > 40 ? `${name.slice(0, 20)}...` : name);
    it(`refuses ${label} in a zip`, async () => {
      const archive = await zip([
        { name: "plugin.json", body: "{}" },
        { name, body: "x" },
      ]);
      await expectRefused(readBundleArchive(archive, "zip"), "unsafe_path", JSON.stringify(name), why);
    });

    it(`refuses ${label} in a tar.gz`, async () => {
      // NUL cannot live in a ustar name field, so every name goes in a pax "path" record.
      const archive = await tarGz([tarFile("plugin.json", "{}"), tarFile("x", "x", { pax: { path: name } })]);
      await expectRefused(readBundleArchive(archive, "tar.gz"), "unsafe_path", JSON.stringify(name), why);
    });
  }

  it("refuses plain ustar names too, and directories with unsafe paths", async () => {
    await expectRefused(
      readBundleArchive(await tarGz([tarFile("../evil.js", "x")]), "tar.gz"),
      "unsafe_path",
      '"../evil.js"',
    );
    const archive = await tarGz([tarDir("../outside/"), tarFile("a.js", "x")]);
    await expectRefused(readBundleArchive(archive, "tar.gz"), "unsafe_path", '"../outside/"');
  });

  it("names the entry with the documented message", async () => {
    const rejection = await rejectionOf(readBundleArchive(await tarGz([tarFile("../evil.js", "x")]), "tar.gz"));
    expect(rejection.message).toBe(`archive entry "../evil.js": paths may not contain '..'`);
  });
});

describe("readBundleArchive: links and special files", () => {
  it("refuses a symlink in a tar.gz", async () => {
    const archive = await tarGz([tarFile("a.js", "x"), tarSpecial("passwd.js", "symlink", "/etc/passwd")]);
    await expectRefused(readBundleArchive(archive, "tar.gz"), "link", '"passwd.js"', "symbolic link");
  });

  it("refuses a hard link in a tar.gz", async () => {
    const archive = await tarGz([tarFile("a.js", "x"), tarSpecial("b.js", "link", "a.js")]);
    await expectRefused(readBundleArchive(archive, "tar.gz"), "link", '"b.js"', "hard link");
  });

  it("refuses a character device and a fifo in a tar.gz", async () => {
    const device = await tarGz([tarFile("a.js", "x"), tarSpecial("null.js", "character-device")]);
    await expectRefused(readBundleArchive(device, "tar.gz"), "link", '"null.js"', "character-device");
    const fifo = await tarGz([tarSpecial("pipe.js", "fifo")]);
    await expectRefused(readBundleArchive(fifo, "tar.gz"), "link", '"pipe.js"', "fifo");
  });

  it("refuses a symlink in a zip (S_IFLNK in the external attributes)", async () => {
    const archive = await zip([
      { name: "a.js", body: "x" },
      { name: "passwd.js", body: "/etc/passwd", unixMode: 0o120777 },
    ]);
    await expectRefused(readBundleArchive(archive, "zip"), "link", '"passwd.js"', "symbolic link");
  });

  it("refuses another special Unix file type in a zip", async () => {
    // A fifo mode: zip.js writes the mode as given, only symlinks get a flag of their own.
    const archive = await zip([{ name: "pipe.js", body: "", unixMode: 0o010644 }]);
    await expectRefused(readBundleArchive(archive, "zip"), "link", '"pipe.js"', "special file");
  });
});

describe("readBundleArchive: duplicates", () => {
  it("refuses the same path twice in a tar.gz", async () => {
    const archive = await tarGz([tarFile("a.js", "1"), tarFile("a.js", "2")]);
    await expectRefused(readBundleArchive(archive, "tar.gz"), "duplicate", '"a.js"');
  });

  it("refuses paths that differ only by case", async () => {
    const tar = await tarGz([tarFile("lib/A.js", "1"), tarFile("lib/a.js", "2")]);
    await expectRefused(readBundleArchive(tar, "tar.gz"), "duplicate", '"lib/a.js"', '"lib/A.js"');
    const archive = await zip([
      { name: "Index.js", body: "1" },
      { name: "index.js", body: "2" },
    ]);
    await expectRefused(readBundleArchive(archive, "zip"), "duplicate", '"index.js"', '"Index.js"');
  });

  it("refuses paths that differ only by Unicode normalization", async () => {
    const archive = await tarGz([tarFile("caf\u00e9.js", "1"), tarFile("cafe\u0301.js", "2")]);
    await expectRefused(readBundleArchive(archive, "tar.gz"), "duplicate", JSON.stringify("cafe\u0301.js"));
  });
});

describe("readBundleArchive: limits", () => {
  it("refuses more files than the limit", async () => {
    const entries = Array.from({ length: 501 }, (_, index) => tarFile(`f${index}.js`, "x"));
    const rejection = await expectRefused(readBundleArchive(await tarGz(entries), "tar.gz"), "too_many_files");
    expect(rejection.message).toBe("archive has more than 500 files");
    const archive = await zip(Array.from({ length: 4 }, (_, index) => ({ name: `f${index}.js`, body: "x" })));
    const limits = { ...DEFAULT_BUNDLE_LIMITS, maxFiles: 3 };
    await expectRefused(readBundleArchive(archive, "zip", limits), "too_many_files", "more than 3 files");
  });

  it("refuses a file over the size limit", async () => {
    const archive = await tarGz([tarFile("plugin.json", "{}"), tarFile("big.js", random(5 * MiB + 1))]);
    const rejection = await expectRefused(readBundleArchive(archive, "tar.gz"), "file_too_large");
    expect(rejection.message).toBe(`archive entry "big.js" is larger than 5242880 bytes`);
    const zipped = await zip([{ name: "big.js", body: random(1001) }]);
    const limits = { ...DEFAULT_BUNDLE_LIMITS, maxFileBytes: 1000 };
    await expectRefused(readBundleArchive(zipped, "zip", limits), "file_too_large", '"big.js"', "1000 bytes");
  });

  it("refuses files that together exceed the total limit", async () => {
    const limits: BundleLimits = { maxFileBytes: 1000, maxTotalBytes: 2500, maxFiles: 10, maxCompressionRatio: 50 };
    const files = ["a.js", "b.js", "c.js"];
    const tar = await tarGz(files.map((name) => tarFile(name, random(1000))));
    await expectRefused(readBundleArchive(tar, "tar.gz", limits), "too_large", "2500 bytes", '"c.js"');
    const archive = await zip(files.map((name) => ({ name, body: random(1000) })));
    await expectRefused(readBundleArchive(archive, "zip", limits), "too_large", "2500 bytes", '"c.js"');
  });

  it("refuses an archive that expands more than the compression ratio", async () => {
    // Five files of 4 MiB of zeros: each file and the total are within limits, the ratio is not.
    const zero = new Uint8Array(4 * MiB);
    const names = ["a.bin", "b.bin", "c.bin", "d.bin", "e.bin"];
    const tar = await tarGz(names.map((name) => tarFile(name, zero)));
    await expectRefused(readBundleArchive(tar, "tar.gz"), "compression_ratio", "more than 50 times", '"a.bin"');
    const archive = await zip(names.map((name) => ({ name, body: zero })));
    await expectRefused(readBundleArchive(archive, "zip"), "compression_ratio", "more than 50 times", '"a.bin"');
    // The same content is fine when the limit allows it.
    const generous = { ...DEFAULT_BUNDLE_LIMITS, maxCompressionRatio: 100_000 };
    expect(await readBundleArchive(archive, "zip", generous)).toHaveLength(5);
  });

  it("stops a tar.gz bomb (200 MiB of zeros) early, without inflating it all", async () => {
    const archive = await zeroTarGz("bomb.js", 200);
    const { outcome, ms, peakBytes } = await measure(() =>
      readBundleArchive(archive, "tar.gz", { ...DEFAULT_BUNDLE_LIMITS, maxCompressionRatio: 100_000 }),
    );
    expect(outcome).toBeInstanceOf(BundleRejection);
    expect(outcome).toMatchObject({ reason: "file_too_large", message: expect.stringContaining('"bomb.js"') });
    expect(ms).toBeLessThan(3000);
    expect(peakBytes).toBeLessThan(64 * MiB);
  });

  it("stops a tar.gz bomb spread over many files at the total limit", async () => {
    // 50 files of 4 MiB of zeros: each file is within its limit, the 200 MiB total is not.
    const { readable, controller } = createTarPacker();
    const archive = collect(readable.pipeThrough(new CompressionStream("gzip")));
    for (let index = 0; index < 50; index++) {
      await zeros(4).pipeTo(controller.add({ name: `part${index}.bin`, size: 4 * MiB, type: "file" }));
    }
    controller.finalize();
    const bomb = await archive;
    const generous = { ...DEFAULT_BUNDLE_LIMITS, maxCompressionRatio: 100_000 };
    const { outcome, ms, peakBytes } = await measure(() => readBundleArchive(bomb, "tar.gz", generous));
    expect(outcome).toMatchObject({ reason: "too_large", message: expect.stringContaining('"part6.bin"') });
    expect(ms).toBeLessThan(3000);
    expect(peakBytes).toBeLessThan(64 * MiB);
  });

  it("stops a tar.gz bomb hidden after the end of the tar, which holds no file bytes", async () => {
    // A valid small tar, then 200 MiB of zeros: tar readers skip zero blocks after the end marker.
    const tar = await packTar([tarFile("a.js", "x")]);
    const source = zeros(200).getReader();
    let started = false;
    const bomb = await collect(
      new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (!started) {
            started = true;
            controller.enqueue(tar);
            return;
          }
          const { done, value } = await source.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
      }).pipeThrough(new CompressionStream("gzip")),
    );
    const { outcome, ms, peakBytes } = await measure(() => readBundleArchive(bomb, "tar.gz"));
    expect(outcome).toMatchObject({ reason: "too_large", message: expect.stringContaining("tar stream") });
    expect(ms).toBeLessThan(3000);
    expect(peakBytes).toBeLessThan(64 * MiB);
  });

  it("stops a zip bomb (200 MiB of zeros, size declared honestly) early", async () => {
    const archive = await zeroZip("bomb.js", 200);
    const generous = { ...DEFAULT_BUNDLE_LIMITS, maxCompressionRatio: 100_000 };
    const { outcome, ms, peakBytes } = await measure(() => readBundleArchive(archive, "zip", generous));
    expect(outcome).toMatchObject({ reason: "file_too_large", message: expect.stringContaining('"bomb.js"') });
    expect(ms).toBeLessThan(3000);
    expect(peakBytes).toBeLessThan(64 * MiB);
  });

  it("stops a zip bomb whose declared size lies", async () => {
    // Real content 20 MiB of zeros, declared as 1000 bytes in both the local and central header.
    const archive = await zeroZip("liar.js", 20);
    const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
    expect(view.getUint32(22, true)).toBe(20 * MiB);
    view.setUint32(22, 1000, true);
    view.setUint32(centralDirectoryOffset(archive) + 24, 1000, true);
    const { outcome, ms, peakBytes } = await measure(() => readBundleArchive(archive, "zip"));
    // The inflated bytes overrun the declared size: zip.js stops there, the archive lies.
    expect(outcome).toMatchObject({ reason: "malformed", message: expect.stringContaining('"liar.js"') });
    expect(ms).toBeLessThan(3000);
    expect(peakBytes).toBeLessThan(64 * MiB);
  });
});

describe("readBundleArchive: malformed and empty archives", () => {
  it("refuses a truncated tar.gz", async () => {
    const archive = await tarGz([tarFile("plugin.json", "{}"), tarFile("a.bin", random(20_000))]);
    // Cut inside the random (incompressible) body of a.bin, so that is the entry being read.
    const cut = archive.subarray(0, archive.length / 2);
    await expectRefused(readBundleArchive(cut, "tar.gz"), "malformed", '"a.bin"', "tar.gz");
  });

  it("refuses a complete gzip of a truncated tar", async () => {
    const tar = await packTar([tarFile("plugin.json", "{}"), tarFile("a.js", random(2000))]);
    const cut = await gzip(tar.subarray(0, 1024 + 1000)); // header of a.js and half its body
    await expectRefused(readBundleArchive(cut, "tar.gz"), "malformed", '"a.js"');
  });

  it("refuses a tar whose header checksum is wrong", async () => {
    const tar = await packTar([tarFile("plugin.json", "{}")]);
    tar[0] = "q".charCodeAt(0); // "plugin.json" becomes "qlugin.json" without a new checksum
    await expectRefused(readBundleArchive(await gzip(tar), "tar.gz"), "malformed", "checksum");
  });

  it("refuses garbage that starts with the gzip magic", async () => {
    const garbage = Uint8Array.of(0x1f, 0x8b, ...random(4000));
    expect(detectBundleFormat(garbage)).toBe("tar.gz");
    await expectRefused(readBundleArchive(garbage, "tar.gz"), "malformed");
  });

  it("refuses gzip data that is not a tar", async () => {
    await expectRefused(readBundleArchive(await gzip(text("export default 1;\n".repeat(100))), "tar.gz"), "malformed");
  });

  it("refuses a zip whose central directory is corrupt", async () => {
    const archive = await zip([{ name: "plugin.json", body: "{}" }]);
    archive.set(text("JUNK"), centralDirectoryOffset(archive));
    await expectRefused(readBundleArchive(archive, "zip"), "malformed", "zip");
  });

  it("refuses a zip whose entry data is corrupt", async () => {
    const archive = await zip([{ name: "a.js", body: "export const answer = 42;\n".repeat(50) }]);
    const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
    const data = 30 + view.getUint16(26, true) + view.getUint16(28, true); // after the local header
    archive[data + 8] = (archive[data + 8] ?? 0) ^ 0xff;
    await expectRefused(readBundleArchive(archive, "zip"), "malformed", '"a.js"');
  });

  it("refuses garbage that starts with the zip magic", async () => {
    const garbage = Uint8Array.of(0x50, 0x4b, 0x03, 0x04, ...random(4000));
    await expectRefused(readBundleArchive(garbage, "zip"), "malformed");
  });

  it("only ever throws BundleRejection for random bytes", async () => {
    for (let round = 0; round < 20; round++) {
      const tail = random(round * 50);
      await rejectionOf(readBundleArchive(Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, ...tail), "tar.gz"));
      await rejectionOf(readBundleArchive(Uint8Array.of(0x50, 0x4b, 0x03, 0x04, ...tail), "zip"));
    }
  });

  it("refuses archives without files", async () => {
    const emptyZip = Uint8Array.of(0x50, 0x4b, 0x05, 0x06, ...new Uint8Array(18));
    const rejection = await expectRefused(readBundleArchive(emptyZip, "zip"), "empty");
    expect(rejection.message).toBe("archive contains no files");
    await expectRefused(readBundleArchive(await zip([{ name: "dist/", directory: true }]), "zip"), "empty");
    await expectRefused(readBundleArchive(await tarGz([]), "tar.gz"), "empty");
    await expectRefused(readBundleArchive(await tarGz([tarDir("package/")]), "tar.gz"), "empty");
  });
});

describe("readBundleArchive: deceptive names", () => {
  it.each([
    [
      "a zero-width space",
      "index\u200B.js",
      '"index\\u{200b}.js"',
      "invisible, blank or bidirectional control characters, nor spaces other than U+0020 (here U+200B)",
    ],
    ["a trailing Braille pattern blank", "index.js\u2800", '"index.js\\u{2800}"', "(here U+2800)"],
    ["a Braille pattern blank inside", "index\u2800.js", '"index\\u{2800}.js"', "(here U+2800)"],
    ["a no-break space", "my\u00A0file.js", '"my\\u{a0}file.js"', "(here U+00A0)"],
    ["an ideographic space", "a\u3000b.js", '"a\\u{3000}b.js"', "(here U+3000)"],
    ["a right-to-left override", "gnp\u202E.js", '"gnp\\u{202e}.js"', "(here U+202E)"],
    ["a left-to-right isolate", "a\u2066b.js", '"a\\u{2066}b.js"', "(here U+2066)"],
    ["a byte-order mark", "\uFEFFindex.js", '"\\u{feff}index.js"', "(here U+FEFF)"],
    ["a trailing dot", "index.js.", '"index.js."', "may not end in a dot or a space"],
    ["a trailing space", "index.js ", '"index.js "', "may not end in a dot or a space"],
    ["a folder with a trailing dot", "chunks./a.js", '"chunks./a.js"', "may not end in a dot or a space"],
  ])("refuses %s in a zip and a tar.gz, the name escaped in the message", async (_, name, quoted, why) => {
    const zipped = await zip([
      { name: "plugin.json", body: "{}" },
      { name, body: "x" },
    ]);
    await expectRefused(readBundleArchive(zipped, "zip"), "unsafe_path", `archive entry ${quoted}:`, why);
    const tarred = await tarGz([tarFile("plugin.json", "{}"), tarFile("x", "x", { pax: { path: name } })]);
    await expectRefused(readBundleArchive(tarred, "tar.gz"), "unsafe_path", `archive entry ${quoted}:`, why);
  });

  it("refuses a directory entry whose name ends in a space", async () => {
    const archive = await tarGz([tarDir("chunks /"), tarFile("a.js", "x")]);
    await expectRefused(readBundleArchive(archive, "tar.gz"), "unsafe_path", '"chunks /"', "dot or a space");
  });
});
