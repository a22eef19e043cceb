import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface WorkerBundles {
  api: string;
  plugins: string;
  /** The API worker's static assets: the marketplace and console (packages/web). */
  webApp: string;
}

/** `vite build` of packages/web into `outDir` (what `pnpm run deploy` ships from packages/web/dist). */
export function buildWebApp(outDir: string): string {
  try {
    execFileSync(
      join(ROOT, "packages/web/node_modules/.bin/vite"),
      ["build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"],
      {
        cwd: join(ROOT, "packages/web"),
        stdio: "pipe",
      },
    );
  } catch (error) {
    const output = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(
      `Building the web app (packages/web) failed:\n${output.stdout ?? ""}${output.stderr ?? String(error)}`,
    );
  }
  return outDir;
}

/**
 * Builds both workers exactly as `wrangler deploy` would, without uploading them, and the web
 * app into a folder of this build, so that parallel runs never share one.
 */
export function buildWorkerBundles(outDir: string): WorkerBundles {
  const webApp = buildWebApp(join(outDir, "web"));
  // `wrangler deploy --dry-run` only checks that the `[assets]` folder exists: the build
  // above is the one Miniflare serves.
  mkdirSync(join(ROOT, "packages/web/dist"), { recursive: true });
  const build = (config: string, name: string) => {
    const dir = join(outDir, name);
    mkdirSync(dir, { recursive: true });
    try {
      execFileSync(join(ROOT, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", dir, "-c", config], {
        cwd: ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_UPDATE_NOTIFIER: "1" },
        stdio: "pipe",
      });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
      throw new Error(`Building the ${name} worker (${config}) failed:\n${stderr}`);
    }
    return join(dir, "index.js");
  };
  return { api: build("wrangler.toml", "api"), plugins: build("workers/plugins/wrangler.toml", "plugins"), webApp };
}
