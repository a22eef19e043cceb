import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface WorkerBundles {
  api: string;
  plugins: string;
}

/** Builds both workers exactly as `wrangler deploy` would, without uploading them. */
export function buildWorkerBundles(outDir: string): WorkerBundles {
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
  return { api: build("wrangler.toml", "api"), plugins: build("workers/plugins/wrangler.toml", "plugins") };
}
