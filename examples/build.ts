/**
 * Builds an example plugin as its README says, for the tests that publish it: `server.ts`
 * bundled by esbuild into one ES module, beside `plugin.json` and the browser entry, the files
 * a tar.gz of the built folder holds.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export type ExampleName = "source-documents" | "agent-chat";

export interface BuiltFile {
  path: string;
  bytes: Uint8Array<ArrayBuffer>;
}

export interface BuiltExample {
  /** plugin.json as it is published (after `options.manifest`). */
  manifest: Record<string, unknown>;
  files: BuiltFile[];
}

export interface BuildOptions {
  /** Changes plugin.json before it is published: a publisher names its own upstream host, a test its own. */
  manifest?: (manifest: Record<string, unknown>) => Record<string, unknown>;
}

/** The README's `esbuild server.ts --bundle --format=esm --platform=neutral`, as the JS API spells it. */
const SERVER_BUILD = { bundle: true, format: "esm", platform: "neutral" } as const;

export async function buildExample(name: ExampleName, options: BuildOptions = {}): Promise<BuiltExample> {
  const folder = new URL(`./${name}/`, import.meta.url);
  const source = JSON.parse(await readFile(new URL("plugin.json", folder), "utf8")) as Record<string, unknown>;
  const manifest = options.manifest ? options.manifest(source) : source;
  const server = String(manifest.server);
  const entry = typeof manifest.entry === "string" ? manifest.entry : "index.js";
  const result = await build({
    ...SERVER_BUILD,
    entryPoints: [fileURLToPath(new URL("server.ts", folder))],
    outfile: server,
    write: false,
    logLevel: "silent",
  });
  const [module] = result.outputFiles;
  if (!module) throw new Error(`esbuild wrote no ${server} for ${name}`);
  return {
    manifest,
    files: [
      { path: "plugin.json", bytes: new TextEncoder().encode(JSON.stringify(manifest, null, 2)).slice() },
      { path: entry, bytes: new Uint8Array(await readFile(new URL(entry, folder))) },
      { path: server, bytes: module.contents.slice() },
    ],
  };
}
