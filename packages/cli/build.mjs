/**
 * Builds dist/main.js, the `plugins` bin: the CLI and the workspace code it uses (the manifest
 * schema, the registry's archive reader) bundled into one ES module, npm packages left as
 * imports of the dependencies package.json declares, so the package installs outside the
 * repository. Except @cfworker/json-schema: the repository patches it
 * (patches/@cfworker__json-schema@4.1.6.patch) to match config patterns in linear time, and
 * an install from the registry would get it unpatched, so the patched copy is bundled.
 */
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const manifest = JSON.parse(readFileSync(new URL("package.json", import.meta.url), "utf8"));

await build({
  entryPoints: [new URL("src/main.ts", import.meta.url).pathname],
  outfile: new URL("dist/main.js", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: Object.keys(manifest.dependencies),
  legalComments: "none",
  logLevel: "warning",
});
