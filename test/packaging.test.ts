import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../scripts/local-stack/worker-bundles";

/** What running the platform locally leaves in a package's folder: secrets wrangler reads, its build output, data. */
const LOCAL_FILES = [
  ".dev.vars",
  ".dev.vars.staging",
  ".env",
  ".env.production",
  ".wrangler/tmp/bundle-x1/index.js",
  ".wrangler/state/v3/r2/plugin-bundles/blobs/0001",
  ".data/pglite/PG_VERSION",
  ".data/dev.lock",
];
const LOCAL_PATH = /(^|\/)(\.dev\.vars|\.env|\.wrangler|\.data)(\/|\.|$)/;

/** The root and every folder pnpm-workspace.yaml names (patterns such as `workers/*`). */
function packageFolders(root: string): string[] {
  const patterns = readFileSync(join(root, "pnpm-workspace.yaml"), "utf8")
    .split("\n")
    .map((line) => /^\s*-\s*["']?([^"'#\s]+)/.exec(line)?.[1])
    .filter((pattern): pattern is string => pattern !== undefined);
  const folders = [""];
  for (const pattern of patterns) {
    if (!pattern.endsWith("/*")) throw new Error(`pnpm-workspace.yaml: unsupported pattern ${pattern}`);
    const parent = pattern.slice(0, -2);
    for (const name of readdirSync(join(root, parent)).sort()) {
      if (existsSync(join(root, parent, name, "package.json"))) folders.push(`${parent}/${name}`);
    }
  }
  return folders;
}

/** The files a fresh clone has: tracked ones and new ones not ignored (the tree is being edited). */
function cloneInto(target: string) {
  const listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const path of new Set(listed.split("\0").filter(Boolean))) {
    const source = join(ROOT, path);
    if (!existsSync(source) || !statSync(source).isFile()) continue;
    mkdirSync(dirname(join(target, path)), { recursive: true });
    copyFileSync(source, join(target, path));
  }
}

/** `npm pack` and `pnpm pack` both list a package's files with npm-packlist; npm's needs no installed workspace. */
function packedPaths(folder: string): string[] {
  const output = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: folder,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, npm_config_loglevel: "error" },
  });
  const [pack] = JSON.parse(output) as Array<{ files: Array<{ path: string }> }>;
  return (pack?.files ?? []).map((file) => file.path);
}

describe("what a pack or a commit can carry", () => {
  let clone: string;
  const folders = packageFolders(ROOT);

  beforeAll(() => {
    clone = mkdtempSync(join(tmpdir(), "plugin-platform-pack-"));
    cloneInto(clone);
    for (const folder of folders) {
      for (const file of LOCAL_FILES) {
        const path = join(clone, folder, file);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, "DATABASE_URL=postgres://local-secret\n");
      }
    }
  });
  afterAll(() => rmSync(clone, { recursive: true, force: true }));

  it("finds the root and the workspace packages", () => {
    expect(folders).toEqual(expect.arrayContaining(["", "packages/schema", "workers/api", "workers/plugins"]));
  });

  it.each(folders.map((folder) => [folder || "(root)", folder]))(
    "%s: package.json lists its files, and a pack after a local run holds no secret, build output or data",
    (_name, folder) => {
      const paths = packedPaths(join(clone, folder));
      expect(paths.filter((path) => LOCAL_PATH.test(path))).toEqual([]);
      expect(paths).toContain("package.json");
      // Not only .gitignore: a package folder without one of its own packs whatever lies in it.
      const manifest = JSON.parse(readFileSync(join(clone, folder, "package.json"), "utf8")) as {
        files?: string[];
        private?: boolean;
      };
      expect(manifest.files, "package.json needs a files list").toBeInstanceOf(Array);
      // A workspace package ships its source; a published one (the CLI, the client) only what it built.
      if (folder !== "" && manifest.private) expect(paths.some((path) => path.startsWith("src/"))).toBe(true);
      if (!manifest.private) expect(manifest.files).toEqual(["dist"]);
    },
  );

  it("git ignores the same local files in every package folder", () => {
    const paths = folders.flatMap((folder) => LOCAL_FILES.map((file) => (folder ? `${folder}/${file}` : file)));
    const ignored = execFileSync("git", ["check-ignore", "--no-index", "--stdin"], {
      cwd: ROOT,
      input: paths.join("\n"),
      encoding: "utf8",
    })
      .split("\n")
      .filter(Boolean);
    expect(paths.filter((path) => !ignored.includes(path))).toEqual([]);
  });
});
