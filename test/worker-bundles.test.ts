import { readFileSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";

/** The source files a bundle was built from, read from the source map `wrangler deploy` writes beside it. */
function bundledSources(bundle: string): string[] {
  const map = JSON.parse(readFileSync(`${bundle}.map`, "utf8")) as { sources: string[] };
  return map.sources;
}

const fromPackage = (name: string) => (source: string) => source.includes(`/node_modules/${name}/`);
const fromSchema = (file: string) => (source: string) => source.includes(`/packages/schema/src/${file}`);

describe("the bundles wrangler deploys", () => {
  it("leave the tables and the manifest's validators out of the API worker: it only checks the wire contract and forwards", () => {
    const sources = bundledSources(inject("apiBundle"));
    expect(sources.some(fromSchema("identity.ts"))).toBe(true);
    for (const name of ["drizzle-orm", "@cfworker/json-schema", "re2js"]) {
      expect(sources.filter(fromPackage(name))).toEqual([]);
    }
    expect(sources.filter(fromSchema("tables/"))).toEqual([]);
    expect(sources.filter(fromSchema("manifest.ts"))).toEqual([]);
  });

  it("give the plugins worker its tables, drizzle-orm and the manifest's validators", () => {
    const sources = bundledSources(inject("pluginsBundle"));
    for (const name of ["drizzle-orm", "@cfworker/json-schema", "re2js"]) {
      expect(sources.some(fromPackage(name))).toBe(true);
    }
    expect(sources.some(fromSchema("tables/"))).toBe(true);
    expect(sources.some(fromSchema("manifest.ts"))).toBe(true);
  });
});
