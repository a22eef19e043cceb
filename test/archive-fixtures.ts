/**
 * Archives as a publisher's build would produce them (tar.gz, zip), and uploads that carry
 * the optional `tag` field.
 */

import { Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from "@zip.js/zip.js";
import { createTarPacker, packTar, type TarEntry, type TarHeader } from "modern-tar";
import { expect } from "vitest";
import type { Stack } from "./stack";

export const MiB = 1024 * 1024;

export type Bytes = Uint8Array<ArrayBuffer>;

export function utf8(text: string): Bytes {
  return new TextEncoder().encode(text).slice();
}

export interface ArchiveFile {
  path: string;
  bytes: Bytes;
}

export async function gzip(bytes: Uint8Array): Promise<Bytes> {
  const stream = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function tarEntry(path: string, bytes: Uint8Array, header: Partial<TarHeader> = {}): TarEntry {
  return { header: { name: path, size: bytes.byteLength, type: "file", ...header }, body: bytes };
}

/** A tar.gz of the files, in the order given; `extra` entries (links, duplicates) are appended as they are. */
export async function tarGz(files: readonly ArchiveFile[], extra: TarEntry[] = []): Promise<Bytes> {
  return gzip(await packTar([...files.map((file) => tarEntry(file.path, file.bytes)), ...extra]));
}

export interface ZipEntryOptions {
  /** Unix mode stored in the external attributes, e.g. 0o120777 for a symbolic link. */
  unixMode?: number;
}

/** A zip of the files, deflated, in the order given. */
export async function zip(files: ReadonlyArray<ArchiveFile & ZipEntryOptions>): Promise<Bytes> {
  const writer = new ZipWriter(new Uint8ArrayWriter(), { useWebWorkers: false });
  for (const file of files) {
    await writer.add(file.path, new Uint8ArrayReader(file.bytes), {
      ...(file.unixMode === undefined ? {} : { unixMode: file.unixMode }),
    });
  }
  return (await writer.close()).slice();
}

/** A tar.gz holding one file of `mebibytes` MiB of zeros, packed as a stream so the fixture stays small. */
export async function zeroTarGz(path: string, mebibytes: number): Promise<Bytes> {
  const { readable, controller } = createTarPacker();
  const archive = new Response(readable.pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
  const chunk = new Uint8Array(MiB);
  let sent = 0;
  const zeros = new ReadableStream<Uint8Array>({
    pull(stream) {
      if (sent++ < mebibytes) stream.enqueue(chunk);
      else stream.close();
    },
  });
  await zeros.pipeTo(controller.add({ name: path, size: mebibytes * MiB, type: "file" }));
  controller.finalize();
  return new Uint8Array(await archive);
}

/** A small 1×1 PNG: binary content that a re-encoding as text would corrupt. */
export const PNG = Uint8Array.from(
  Buffer.from(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
      "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201" +
      "e5273fba0000000049454e44ae426082",
    "hex",
  ),
);

/**
 * The built folder of a plugin: manifest, entry, a lazily imported chunk, a stylesheet,
 * a source map and an image. `manifest` overrides fields of plugin.json.
 */
export function pluginFolder(manifest: Record<string, unknown> = {}, variant = "1"): ArchiveFile[] {
  const plugin = {
    id: "multi",
    name: "Multi File",
    version: "1.0.0",
    description: "A plugin built into several files",
    category: "ui",
    extensionPoints: ["dashboard-widgets"],
    ...manifest,
  };
  return [
    { path: "plugin.json", bytes: utf8(JSON.stringify(plugin, null, 2)) },
    {
      path: "index.js",
      bytes: utf8(
        `// ✓ variant ${variant}\nexport async function activate(host) {\n  const { chunk } = await import("./chunks/a.js");\n  host.mount(chunk);\n}\n//# sourceMappingURL=index.js.map\n`,
      ),
    },
    { path: "chunks/a.js", bytes: utf8(`export const chunk = "lazy ${variant}";\n`) },
    { path: "styles/main.css", bytes: utf8(`.widget::before { content: "★"; color: #c0ffee; }\n`) },
    { path: "index.js.map", bytes: utf8('{"version":3,"sources":["src/index.ts"],"mappings":"AAAA"}') },
    { path: "logo.png", bytes: PNG.slice() },
  ];
}

export interface UploadFields {
  token?: string;
  file: Uint8Array | string;
  /** Sent as JSON when an object; left out when undefined. */
  metadata?: Record<string, unknown> | string;
  tag?: string;
  fileName?: string;
}

export function uploadForm(fields: UploadFields): FormData {
  const form = new FormData();
  const bytes = typeof fields.file === "string" ? utf8(fields.file) : new Uint8Array(fields.file);
  form.set("file", new File([bytes], fields.fileName ?? "bundle"));
  if (fields.metadata !== undefined) {
    form.set("metadata", typeof fields.metadata === "string" ? fields.metadata : JSON.stringify(fields.metadata));
  }
  if (fields.tag !== undefined) form.set("tag", fields.tag);
  return form;
}

/** `POST /api/plugins/upload` with any of file, metadata and tag. */
export function uploadFields(stack: Stack, fields: UploadFields): Promise<Response> {
  return fetch(`${stack.url}/api/plugins/upload`, {
    method: "POST",
    body: uploadForm(fields),
    headers: fields.token ? { authorization: `Bearer ${fields.token}` } : {},
  });
}

/** Uploads and insists on 201, returning the answer. */
export async function publishFields(stack: Stack, fields: UploadFields): Promise<Record<string, unknown>> {
  const response = await uploadFields(stack, fields);
  const text = await response.text();
  expect(response.status, text).toBe(201);
  return JSON.parse(text) as Record<string, unknown>;
}
