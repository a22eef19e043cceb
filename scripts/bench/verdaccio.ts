/**
 * Verdaccio, the peer the bench measures beside the platform: an npm registry run from
 * this repository's dev dependency, with its storage and configuration in a folder of the
 * bench's own, anonymous publishing, no uplinks (nothing leaves the machine) and no web UI.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../local-stack/ports";
import { ROOT } from "../local-stack/worker-bundles";
import { type NpmPackage, npmTarball, publishBody, tarballName } from "./npm-package";

const PACKAGE_FOLDER = join(ROOT, "node_modules/verdaccio");

/** The installed Verdaccio's version, for the report. */
export const VERDACCIO_VERSION: string = JSON.parse(readFileSync(join(PACKAGE_FOLDER, "package.json"), "utf8")).version;

export interface RunningVerdaccio {
  origin: string;
  /** Publishes the package as `npm publish` would; resolves its tarball's URL. */
  publish(pkg: NpmPackage): Promise<string>;
  /** Stops it and waits for its end. */
  stop(): Promise<void>;
  /** Ends it at once, for a process that is exiting and can no longer wait. */
  kill(): void;
}

/** The configuration, as JSON: Verdaccio reads YAML, of which JSON is a subset. */
function configuration(folder: string) {
  return {
    storage: join(folder, "storage"),
    auth: { htpasswd: { file: join(folder, "htpasswd"), max_users: -1 } },
    uplinks: {},
    packages: { "**": { access: "$all", publish: "$all" } },
    web: { enable: false },
    max_body_size: "10mb",
    // Its default logs a line per request: a cost the platform's figures do not carry either.
    log: { type: "stdout", format: "pretty", level: "warn" },
  };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

async function waitForPing(origin: string, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Verdaccio ended before it answered (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    try {
      if ((await fetch(`${origin}/-/ping`)).ok) return;
    } catch {
      // still starting
    }
    if (Date.now() > deadline) throw new Error(`Verdaccio did not answer ${origin}/-/ping within ${timeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Starts Verdaccio on a free loopback port, in a process group of its own (so a Ctrl-C
 * reaches it only through `stop`), and waits until it answers.
 */
export async function startVerdaccio(folder: string): Promise<RunningVerdaccio> {
  mkdirSync(folder, { recursive: true });
  const config = join(folder, "config.yaml");
  writeFileSync(config, JSON.stringify(configuration(folder), null, 2));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [join(PACKAGE_FOLDER, "bin/verdaccio"), "--config", config, "--listen", `127.0.0.1:${port}`],
    { detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  // The last lines it wrote, for an error message; read always, so a full pipe never stalls it.
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });

  const running: RunningVerdaccio = {
    origin,
    async publish(pkg) {
      const tarball = await npmTarball(pkg);
      const response = await fetch(`${origin}/${encodeURIComponent(pkg.name)}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(publishBody(pkg, tarball, origin)),
      });
      if (response.status !== 201) throw new Error(`Verdaccio publish: ${response.status} ${await response.text()}`);
      return `${origin}/${pkg.name}/-/${tarballName(pkg)}`;
    },
    async stop() {
      signalGroup(child, "SIGTERM");
      const deadline = setTimeout(() => signalGroup(child, "SIGKILL"), 5_000);
      await exited;
      clearTimeout(deadline);
      signalGroup(child, "SIGKILL");
    },
    kill() {
      signalGroup(child, "SIGKILL");
    },
  };
  try {
    await waitForPing(origin, child, () => output, 30_000);
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}
