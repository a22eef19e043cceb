/**
 * Builds dist/: the JavaScript of both entries (index.js, loader.js and the chunk they share),
 * with the workspace code they use (the signature checks of @plugins/schema) bundled in and
 * @trpc/client left to the project that installs the package; and one bundled declaration
 * file per entry, index.d.ts and loader.d.ts, by rollup-plugin-dts. The declarations inline
 * every workspace type they name (src/router.ts spells the router's out) and import nothing
 * but @trpc/client and @trpc/server, the peers, so a project needs no server types.
 */
import { realpathSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { rollup } from "rollup";
import { dts } from "rollup-plugin-dts";

// `--outdir <dir> --javascript-only`: the browser test's build of the loader, into a
// folder of its own, so that it never races test/client-package.test.ts over dist/.
const { values: flags } = parseArgs({
  options: { outdir: { type: "string" }, "javascript-only": { type: "boolean", default: false } },
});
const here = (path) => new URL(path, import.meta.url).pathname;
const outdir = flags.outdir ? resolve(flags.outdir) : here("dist");
const entries = { index: here("src/index.ts"), loader: here("src/loader.ts") };
const peers = /^@trpc\/(client|server)(\/|$)/;

/**
 * The workspace packages by their real paths, not through node_modules links: rollup-plugin-dts
 * treats a file under node_modules as outside its TypeScript program and compiles each such
 * file in a program of its own (minutes, for every module of @plugins/schema).
 */
const workspaceRealPaths = {
  name: "workspace-real-paths",
  async resolveId(source, importer, options) {
    if (!source.startsWith("@plugins/")) return null;
    const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
    return resolved && { ...resolved, id: realpathSync(resolved.id) };
  },
};

rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: entries,
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "neutral",
  mainFields: ["module", "main"],
  target: "es2022",
  external: ["@trpc/client"],
  legalComments: "none",
  logLevel: "warning",
});

for (const [name, input] of flags["javascript-only"] ? [] : Object.entries(entries)) {
  const bundle = await rollup({
    input,
    external: (id) => peers.test(id),
    plugins: [workspaceRealPaths, dts({ respectExternal: true, tsconfig: here("tsconfig.json") })],
  });
  await bundle.write({ file: `${outdir}/${name}.d.ts`, format: "es" });
  await bundle.close();
}
