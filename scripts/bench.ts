import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Result as AutocannonResult } from "autocannon";
import { Miniflare } from "miniflare";
import { MEMORY_BASELINE, R2_PASSTHROUGH_BASELINE } from "./bench/baselines";
import { readCommandLine, refuseUsage, wholeNumber } from "./cli/command-line";
import { signDevToken } from "./local-stack/dev-token";
import { applyMigrations } from "./local-stack/migrate";
import { startNeonBridge } from "./local-stack/neon-bridge";
import { COMPATIBILITY_DATE, platformWorkers } from "./local-stack/platform-workers";
import { startLocalPostgres } from "./local-stack/postgres";
import { buildWorkerBundles, ROOT } from "./local-stack/worker-bundles";

const HELP = `Usage: pnpm bench [--duration <seconds>] [--rounds <n>] [--connections <n>]

Starts the platform under Miniflare (real workerd, service binding, R2, Cache API,
PostgreSQL or PGlite), publishes a 100 KB bundle, and measures each request type beside
a baseline worker measured in the same run on the same machine:

  warm immutable GET     vs  a worker serving the same bytes from memory   (target >= 0.85)
  cache-miss GET         vs  a worker passing the R2 object through        (target >= 0.90)
  304 revalidation       vs  the memory worker answering 304
  floating-ref 302       vs  the memory worker answering 302
  tRPC resolve           vs  the memory worker answering a small JSON
  tenant manifest GET    vs  the memory worker answering a small JSON
  tenant manifest 304    vs  the memory worker answering 304

Each figure and its baseline are measured in alternating rounds, and the medians are
reported, so a drift of the machine during the run (another process, thermal limits)
weighs on both sides alike.

Options:
  --duration <s>     seconds of load per measurement   (default 4)
  --rounds <n>       alternating rounds per request    (default 3)
  --connections <n>  concurrent connections            (default 16)
  -h, --help         show this help
`;

const command = {
  name: "pnpm bench",
  help: HELP,
  options: {
    duration: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
  },
} as const;
const values = readCommandLine(command);
/** A flag's value as a whole number in its range, or the refusal naming it. */
function countFlag(flag: "duration" | "rounds" | "connections", max: number): number {
  const value = wholeNumber(values[flag], 1, max);
  if (value === null) refuseUsage(command, `--${flag} must be a whole number from 1 to ${max} (got '${values[flag]}')`);
  return value;
}
const duration = countFlag("duration", 3600);
const rounds = countFlag("rounds", 100);
const connections = countFlag("connections", 1000);
const step = (message: string) => console.info(`• ${message}`);
const run = promisify(execFile);

const PLUGIN = "bench-plugin";
const KEY = `${PLUGIN}/1.0.0/bundle.js`;

interface Figure {
  rps: number;
  p50: number;
  p99: number;
}

interface Scenario {
  name: string;
  target?: number;
  subject: () => Promise<Figure>;
  baseline: () => Promise<Figure>;
}

/** The median of each figure over the rounds, taken separately. */
function medianFigure(figures: Figure[]): Figure {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  };
  return {
    rps: median(figures.map((figure) => figure.rps)),
    p50: median(figures.map((figure) => figure.p50)),
    p99: median(figures.map((figure) => figure.p99)),
  };
}

/** Load comes from a second process, so the generator never competes with the bridge or Miniflare's I/O. */
async function autocannon(url: string, headers: Record<string, string>, seconds: number): Promise<AutocannonResult> {
  const args = ["-j", "-c", String(connections), "-d", String(seconds)];
  for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}=${value}`);
  const autocannonBin = join(ROOT, "node_modules/.bin/autocannon");
  const [command, commandArgs] = pinned
    ? ["taskset", ["-c", pinned.load, autocannonBin, ...args, url]]
    : [autocannonBin, [...args, url]];
  // Asynchronously: the Neon bridge serving the workers lives in this process's event loop.
  const { stdout } = await run(command, commandArgs, { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as AutocannonResult;
}

async function measure(url: string, headers: Record<string, string> = {}, expectStatus = 200): Promise<Figure> {
  // A short warm-up fills caches and JIT before the measured run.
  await autocannon(url, headers, 1);
  const result = await autocannon(url, headers, duration);
  const expected = `${Math.floor(expectStatus / 100)}xx`;
  const classes = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;
  const unexpected = classes.filter((name) => name !== expected && result[name] > 0);
  if (result.errors > 0 || unexpected.length > 0 || result[expected as (typeof classes)[number]] === 0) {
    throw new Error(`${url}: ${result.errors} errors, answers ${unexpected.join(", ")}; expected ${expectStatus}`);
  }
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/**
 * On a machine with two or more CPUs, the platform (this process, and the workerd and
 * Postgres processes it starts) runs on one CPU and the load generator on another, so the
 * two never fight over a core and repeated runs agree far better. Needs taskset.
 */
async function pinToCpus(): Promise<{ server: string; load: string } | null> {
  if (availableParallelism() < 2) return null;
  try {
    await run("taskset", ["-a", "-cp", "0", String(process.pid)]);
    return { server: "0", load: "1" };
  } catch {
    return null;
  }
}
const pinned = await pinToCpus();
step(
  pinned ? "Pinned the platform to CPU 0 and the load generator to CPU 1" : "Running unpinned (one CPU, or no taskset)",
);

const persist = mkdtempSync(join(tmpdir(), "plugin-platform-bench-"));
step("Building both workers (wrangler deploy --dry-run)");
const bundles = buildWorkerBundles(join(persist, "build"));
step("Starting Postgres");
const postgres = await startLocalPostgres();
await applyMigrations(postgres.url);
const bridge = await startNeonBridge();
const r2Persist = join(persist, "r2");

const instances: Miniflare[] = [];
async function start(options: ConstructorParameters<typeof Miniflare>[0]): Promise<string> {
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, r2Persist, ...options } as ConstructorParameters<
    typeof Miniflare
  >[0]);
  instances.push(mf);
  return (await mf.ready).origin;
}

try {
  step("Starting the platform, a copy without caches, and the baselines");
  const stack = { bundles, databaseUrl: postgres.url, bridgeAddress: bridge.address };
  const platform = await start({ workers: platformWorkers(stack) });
  const uncached = await start({
    workers: platformWorkers({ ...stack, edgeCache: false, apiBindings: { HOT_CACHE_MAX_BYTES: "0" } }),
  });

  step("Publishing a 100 KB bundle");
  const token = await signDevToken({ sub: "bench", role: "admin", tenant: "bench" });
  const form = new FormData();
  const bundle = `export default ${JSON.stringify("x".repeat(100 * 1024 - 20))};\n`;
  form.set("file", new File([bundle], "bundle.js"));
  form.set("metadata", JSON.stringify({ id: PLUGIN, name: "Bench", version: "1.0.0", category: "bench" }));
  const published = await fetch(`${platform}/api/plugins/upload`, {
    method: "POST",
    body: form,
    headers: { authorization: `Bearer ${token}` },
  });
  if (published.status !== 201) throw new Error(`publish failed: ${published.status} ${await published.text()}`);
  step("Installing it for tenant bench, active");
  const installed = await fetch(`${platform}/api/plugins/install`, {
    method: "POST",
    body: JSON.stringify({ pluginId: PLUGIN, activate: true }),
    headers: { authorization: `Bearer ${token}`, "x-tenant-id": "bench", "content-type": "application/json" },
  });
  if (installed.status !== 201) throw new Error(`install failed: ${installed.status} ${await installed.text()}`);

  const baselineWorker = (name: string, script: string) => ({
    name,
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { KEY },
    r2Buckets: { BUNDLES: "plugin-bundles" },
  });
  const memory = await start({ workers: [baselineWorker("memory", MEMORY_BASELINE)] });
  const passthrough = await start({ workers: [baselineWorker("r2", R2_PASSTHROUGH_BASELINE)] });

  const exact = `/plugins/bundles/${PLUGIN}/v1.0.0/bundle.js`;
  const etag = (await fetch(`${platform}${exact}`)).headers.get("etag") ?? "";
  const resolveInput = encodeURIComponent(JSON.stringify({ pluginId: PLUGIN, range: "^1.0.0" }));
  const manifest = `${platform}/api/tenants/bench/plugins/manifest`;
  const signedIn = { authorization: `Bearer ${token}` };
  const manifestEtag = (await fetch(manifest, { headers: signedIn })).headers.get("etag") ?? "";
  const scenarios: Scenario[] = [
    {
      name: "warm immutable GET",
      target: 0.85,
      subject: () => measure(`${platform}${exact}`),
      baseline: () => measure(`${memory}/bundle.js`),
    },
    {
      name: "cache-miss GET",
      target: 0.9,
      subject: () => measure(`${uncached}${exact}`),
      baseline: () => measure(`${passthrough}/bundle.js`),
    },
    {
      name: "304 revalidation",
      subject: () => measure(`${platform}${exact}`, { "if-none-match": etag }, 304),
      baseline: () => measure(`${memory}/bundle.js`, { "if-none-match": '"baseline"' }, 304),
    },
    {
      name: "floating-ref 302",
      subject: () => measure(`${platform}/plugins/bundles/${PLUGIN}@%5E1.0.0/bundle.js`, {}, 302),
      baseline: () => measure(`${memory}/redirect`, {}, 302),
    },
    {
      name: "tRPC resolve",
      subject: () => measure(`${platform}/trpc/plugins.resolve?input=${resolveInput}`),
      baseline: () => measure(`${memory}/json`),
    },
    {
      name: "tenant manifest GET",
      subject: () => measure(manifest, signedIn),
      baseline: () => measure(`${memory}/json`),
    },
    {
      name: "tenant manifest 304",
      subject: () => measure(manifest, { ...signedIn, "if-none-match": manifestEtag }, 304),
      baseline: () => measure(`${memory}/bundle.js`, { "if-none-match": '"baseline"' }, 304),
    },
  ];

  const rows: string[] = [];
  let missed = false;
  for (const scenario of scenarios) {
    step(`Measuring ${scenario.name} (${rounds} rounds of ${duration}s, alternating with its baseline)`);
    const subjects: Figure[] = [];
    const baselines: Figure[] = [];
    for (let round = 0; round < rounds; round++) {
      subjects.push(await scenario.subject());
      baselines.push(await scenario.baseline());
    }
    const figure = medianFigure(subjects);
    const baseline = medianFigure(baselines);
    const ratio = figure.rps / baseline.rps;
    const verdict =
      scenario.target === undefined
        ? ""
        : ratio >= scenario.target
          ? `>= ${scenario.target} ok`
          : `< ${scenario.target} MISSED`;
    if (scenario.target !== undefined && ratio < scenario.target) missed = true;
    rows.push(
      `| ${scenario.name} | ${figure.rps.toFixed(0)} | ${figure.p50} / ${figure.p99} | ${baseline.rps.toFixed(0)} | ${baseline.p50} / ${baseline.p99} | ${ratio.toFixed(2)} ${verdict} |`,
    );
  }
  console.info(`
Postgres: ${postgres.kind}; ${connections} connections; medians of ${rounds} rounds of ${duration}s; latencies in ms.

| request | req/s | p50 / p99 | baseline req/s | baseline p50 / p99 | ratio |
| --- | --- | --- | --- | --- | --- |
${rows.join("\n")}
`);
  process.exitCode = missed ? 1 : 0;
} finally {
  await Promise.all(instances.map((mf) => mf.dispose()));
  await bridge.stop();
  await postgres.stop();
  rmSync(persist, { recursive: true, force: true });
}
