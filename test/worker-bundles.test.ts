import { readFileSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";

/** The source map `wrangler deploy` writes beside a bundle: the files it was built from, and their text. */
function sourceMap(bundle: string): { sources: string[]; sourcesContent: string[] } {
  return JSON.parse(readFileSync(`${bundle}.map`, "utf8")) as { sources: string[]; sourcesContent: string[] };
}

function bundledSources(bundle: string): string[] {
  return sourceMap(bundle).sources;
}

/** The files of workers/ in a bundle, with their text. */
function bundledWorkerFiles(bundle: string): Array<{ source: string; text: string }> {
  const map = sourceMap(bundle);
  return map.sources.flatMap((source, index) =>
    source.includes("/workers/") ? [{ source, text: map.sourcesContent[index] ?? "" }] : [],
  );
}

const fromPackage = (name: string) => (source: string) => source.includes(`/node_modules/${name}/`);
const fromSchema = (file: string) => (source: string) => source.includes(`/packages/schema/src/${file}`);

describe("the bundles wrangler deploys", () => {
  it("leave the tables and the manifest's validators out of the API worker: it only checks the wire contract and forwards", () => {
    const sources = bundledSources(inject("apiBundle"));
    expect(sources.some(fromSchema("identity.ts"))).toBe(true);
    for (const name of ["drizzle-orm", "@cfworker/json-schema", "re2js", "croner"]) {
      expect(sources.filter(fromPackage(name))).toEqual([]);
    }
    expect(sources.filter(fromSchema("tables/"))).toEqual([]);
    expect(sources.filter(fromSchema("manifest.ts"))).toEqual([]);
  });

  it("give the plugins worker its tables, drizzle-orm and the manifest's validators", () => {
    const sources = bundledSources(inject("pluginsBundle"));
    for (const name of ["drizzle-orm", "@cfworker/json-schema", "re2js", "croner"]) {
      expect(sources.some(fromPackage(name))).toBe(true);
    }
    expect(sources.some(fromSchema("tables/"))).toBe(true);
    expect(sources.some(fromSchema("manifest.ts"))).toBe(true);
  });

  it("take logging, base64, hex and digests from @plugins/runtime: no worker file has its own", () => {
    const ownHelper = /\bconsole\.\w+\(|\bbtoa\(|\batob\(|\.toString\(16\)\.padStart\(2|crypto\.subtle\.digest\(/;
    for (const bundle of [inject("apiBundle"), inject("pluginsBundle")]) {
      expect(bundledSources(bundle).some((source) => source.includes("/packages/runtime/src/log.ts"))).toBe(true);
      const files = bundledWorkerFiles(bundle);
      expect(files.length).toBeGreaterThan(10);
      expect(files.filter((file) => ownHelper.test(file.text)).map((file) => file.source)).toEqual([]);
    }
  });
});
