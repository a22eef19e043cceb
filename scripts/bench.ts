import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, constants, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Result as AutocannonResult } from "autocannon";
import { Miniflare } from "miniflare";
import pg from "pg";
import { loaderHostBaseline, memoryBaseline, TRIVIAL_PLUGIN, twoWorkerBaseline } from "./bench/baselines";
import { type Comparison, comparisonTable, type Figure, medianFigure, missed } from "./bench/figures";
import {
  rebuildReadModels,
  type ScaleTemplate,
  seedCopies,
  seededPluginId,
  seededTenantId,
} from "./bench/registry-scale";
import { installActive, publishServerPlugin, timedGet } from "./bench/server-plugins";
import { type RunningVerdaccio, startVerdaccio, VERDACCIO_VERSION } from "./bench/verdaccio";
import { readCommandLine, refuseUsage, wholeNumber } from "./cli/command-line";
import { signDevToken } from "./local-stack/dev-token";
import { applyMigrations } from "./local-stack/migrate";
import { startNeonBridge } from "./local-stack/neon-bridge";
import { platformWorkers } from "./local-stack/platform-workers";
import { startLocalPostgres } from "./local-stack/postgres";
import { buildWorkerBundles, ROOT } from "./local-stack/worker-bundles";

const HELP = `Usage: pnpm bench [--duration <seconds>] [--rounds <n>] [--connections <n>] [--skip-scale] [--only <names>]

Starts the platform under Miniflare (real workerd, service binding, R2, Cache API,
PostgreSQL or PGlite), publishes a 100 KB bundle, installs it for a tenant, copies both
until the registry holds 100 plugins and 100 tenants, and measures each request type beside
a baseline measured in the same run on the same machine:

  warm immutable GET     vs  memory: one worker serving the same bytes from memory  >= 0.85
  304 revalidation       vs  memory, answering 304                                  >= 0.85
  cache-miss GET         vs  two-worker passthrough of the R2 object                >= 0.90
  floating-ref 302       vs  two-worker JSON: a small JSON object from R2           >= 0.90
  tRPC resolve           vs  two-worker JSON                                        >= 0.90
  package document       vs  two-worker JSON (GET /api/plugins/:id)                 >= 0.90
  tenant manifest GET    vs  two-worker JSON                                        >= 0.90
  tenant manifest 304    vs  two-worker JSON, answering 304                         >= 0.90

"Two-worker" is a bare worker handing the request over a service binding to a bare worker
reading R2, with no cache: the least any read crossing the binding costs (the small JSON
object is the tenant manifest's own answer, so it is what a read model costs at best).

It then starts Verdaccio ${VERDACCIO_VERSION} (the npm registry, from the dev dependencies, in a
temporary folder), publishes the same 100 KB file to it as an npm package (bench-plugin@1.0.0,
tarball stored uncompressed so both carry the same bytes), and sets the platform beside it:

  file GET (warm)        vs  Verdaccio's tarball GET                                >= 3
  package document       vs  Verdaccio's packument GET                              >= 2
  tenant manifest GET    vs  Verdaccio's packument GET                              >= 2

Then it publishes a server-side plugin whose handler answers "pong", installs it, and sets
calls of it through the gateway beside a bare worker running the same module in a Dynamic
Worker of its Worker Loader (no platform in between):

  plugin call (warm)            vs  the bare host calling its loaded isolate          >= 0.70
  plugin call (warm)            vs  that host behind a bare edge worker (the binding
                                    hop of this architecture, nothing else)           reported
  plugin call (cold)            vs  the same, each in a new isolate: first requests   >= 0.50
                                    (a rate of 1000 / median ms: at most twice as slow)
  plugin call at 200 instances  vs  the warm call measured before the 200 (20 plugins,
                                    10 instances each, every one called once)         >= 0.90

Then it grows the registry to 10,000 plugins and 10,000 tenants, each tenant with an active
instance (copies of the bench's plugin and tenant, seeded in bulk SQL), builds their
package documents and manifests in pages (readModels.rebuild, as an operator backfills them),
and measures the same two reads of a plugin and a tenant among the 10,000 against their own
figures at 100 (a read's cost must not grow with the registry):

  package document       at 10,000  vs  at 100                                      >= 0.90
  tenant manifest GET    at 10,000  vs  at 100                                      >= 0.90

Each figure and its baseline are measured in alternating rounds, and the medians are
reported, so a drift of the machine during the run (another process, thermal limits)
weighs on both sides alike. Prints the three tables in Markdown; exits 1 when a target is
missed. Ctrl-C, SIGTERM or SIGHUP stop everything it started (workerd, Postgres, Verdaccio).

Options:
  --duration <s>     seconds of load per measurement   (default 4)
  --rounds <n>       alternating rounds per request    (default 3)
  --connections <n>  concurrent connections            (default 16)
  --skip-scale       leave out the figures at 10,000 plugins and tenants (some 5 minutes)
  --only <names>     measure only the requests whose name contains one of these words
                     (comma-separated, e.g. "document,floating"); leaves out the scale
                     figures, and Verdaccio when none of its comparisons is chosen
  -h, --help         show this help
`;

const command = {
  name: "pnpm bench",
  help: HELP,
  options: {
    duration: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
    "skip-scale": { type: "boolean", default: false },
    only: { type: "string" },
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
const only = values.only
  ?.split(",")
  .map((word) => word.trim().toLowerCase())
  .filter((word) => word !== "");
if (only?.length === 0) refuseUsage(command, "--only needs at least one request name");
/** Whether `--only` leaves the request `name` in (every request, without it). */
const chosen = (name: string) => only?.some((word) => name.toLowerCase().includes(word)) ?? true;
const step = (message: string) => console.info(`• ${message}`);
const run = promisify(execFile);

const PLUGIN = "bench-plugin";
const TENANT = "bench";
/** What the registry holds (plugins, and tenants with an instance) for the first figures, and for the scale figures. */
const SMALL_SCALE = 100;
const LARGE_SCALE = 10_000;
const scaleTemplate: ScaleTemplate = { pluginId: PLUGIN, tenantId: TENANT };
const BUNDLE_KEY = `${PLUGIN}/1.0.0/bundle.js`;
/** Where the tenant manifest's answer is stored for the two-worker JSON baseline (the platform never reads it). */
const JSON_KEY = "bench-baseline/manifest.json";

// What this run started, stopped in reverse order by stopEverything (at the end, on an error, on a signal).
const stops: { name: string; stop: () => Promise<void> }[] = [];
let verdaccio: RunningVerdaccio | undefined;
// Ends the load generator's run in progress when the bench is stopped.
const interrupted = new AbortController();
let stopping: Promise<void> | undefined;

function stopEverything(): Promise<void> {
  stopping ??= (async () => {
    step(`Stopping ${[...new Set(stops.map(({ name }) => name))].reverse().join(", ")}`);
    for (const { name, stop } of stops.reverse()) {
      // Bounded: a child that already ended on the same Ctrl-C may never report its exit again.
      const bound = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
      await Promise.race([stop().catch((error) => console.error(`pnpm bench: stopping ${name}: ${error}`)), bound]);
    }
  })();
  return stopping;
}

const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
/** Stops the run in progress and everything it started, then exits with `exitCode`. */
function stopFor(requestedBy: string, exitCode: number) {
  if (interrupted.signal.aborted) return;
  step(`Stopping (${requestedBy})`);
  interrupted.abort();
  void stopEverything().then(() => process.exit(exitCode));
}
const stopOnSignal = (signal: NodeJS.Signals) => stopFor(signal, 128 + constants.signals[signal]);
for (const signal of STOP_SIGNALS) process.on(signal, stopOnSignal);
/**
 * Each Miniflare adds SIGINT and SIGTERM listeners that kill its workerd and exit at once,
 * before Postgres, the bridge or Verdaccio could be stopped: stopOnSignal stops them all
 * (workerd included), so it is left the only listener. Miniflare's exit hook stays.
 */
function keepOnlyStopOnSignal() {
  for (const signal of STOP_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (listener !== stopOnSignal) process.removeListener(signal, listener);
    }
  }
}
// pnpm forwards SIGINT and SIGTERM, but a SIGKILL ends it alone: this process is then handed
// to another parent, and stops too.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stopFor("the process that started it ended", 1);
}, 500).unref();
// The last resort when the process ends without stopEverything (process.exit from an uncaught error).
process.on("exit", () => verdaccio?.kill());

/** Load comes from a second process, so the generator never competes with the bridge or Miniflare's I/O. */
async function autocannon(url: string, headers: Record<string, string>, seconds: number): Promise<AutocannonResult> {
  const args = ["-j", "-c", String(connections), "-d", String(seconds)];
  for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}=${value}`);
  const autocannonBin = join(ROOT, "node_modules/.bin/autocannon");
  const [command, commandArgs] = pinned
    ? ["taskset", ["-c", pinned.load, autocannonBin, ...args, url]]
    : [autocannonBin, [...args, url]];
  // Asynchronously: the Neon bridge serving the workers lives in this process's event loop.
  const { stdout } = await run(command, commandArgs, { maxBuffer: 64 * 1024 * 1024, signal: interrupted.signal });
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
 * On a machine with two or more CPUs, the platform (this process, and the workerd,
 * Postgres and Verdaccio processes it starts) runs on one CPU and the load generator on
 * another, so the two never fight over a core and repeated runs agree far better. Needs taskset.
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

/** This process and every process it started, theirs included (workerd, Postgres and its backends, Verdaccio). */
async function processTree(): Promise<number[]> {
  const { stdout } = await run("ps", ["-e", "-o", "pid=,ppid="]);
  const children = new Map<number, number[]>();
  for (const line of stdout.trim().split("\n")) {
    const [pid = 0, parentPid = 0] = line.trim().split(/\s+/).map(Number);
    children.set(parentPid, [...(children.get(parentPid) ?? []), pid]);
  }
  const tree = [process.pid];
  for (let index = 0; index < tree.length; index++) tree.push(...(children.get(tree[index] ?? 0) ?? []));
  return tree;
}

/** Moves the platform's processes to `cpus` (taskset's list), between measurements. */
async function movePlatformTo(cpus: string) {
  for (const pid of await processTree()) {
    // A process may have ended since it was listed (a Postgres backend, ps itself).
    await run("taskset", ["-a", "-cp", cpus, String(pid)]).catch(() => {});
  }
}

type Probe = () => Promise<Figure>;

interface Scenario {
  name: string;
  /** None: the figure is reported only. */
  target?: number;
  subject: Probe;
  baselineName: string;
  baseline: Probe;
}

/** Every round measured of each subject, for the scale figures: their baseline is all of a read's rounds at 100. */
const roundsOf = new Map<Probe, Figure[]>();

/** Measures the subject and its baseline in alternating rounds and keeps the medians. */
async function compare(scenario: Scenario, against: string): Promise<Comparison> {
  const { name, baselineName, target } = scenario;
  step(`Measuring ${name} against ${against} (${rounds} rounds of ${duration}s, alternating)`);
  const subjects: Figure[] = [];
  const baselines: Figure[] = [];
  for (let round = 0; round < rounds; round++) {
    const subject = await scenario.subject();
    subjects.push(subject);
    roundsOf.set(scenario.subject, [...(roundsOf.get(scenario.subject) ?? []), subject]);
    baselines.push(await scenario.baseline());
  }
  return { name, subject: medianFigure(subjects), baselineName, baseline: medianFigure(baselines), target };
}

const pinned = await pinToCpus();
step(
  pinned ? "Pinned the platform to CPU 0 and the load generator to CPU 1" : "Running unpinned (one CPU, or no taskset)",
);

const persist = mkdtempSync(join(tmpdir(), "plugin-platform-bench-"));
stops.push({ name: "the temporary folder", stop: async () => rmSync(persist, { recursive: true, force: true }) });
const r2Persist = join(persist, "r2");

/** Starts workers under a Miniflare of their own; resolves it and its origin once it answers. */
async function start(options: ConstructorParameters<typeof Miniflare>[0]): Promise<{ mf: Miniflare; origin: string }> {
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, r2Persist, ...options } as ConstructorParameters<
    typeof Miniflare
  >[0]);
  keepOnlyStopOnSignal();
  stops.push({ name: "workerd", stop: () => mf.dispose() });
  return { mf, origin: (await mf.ready).origin };
}

const count = (n: number) => n.toLocaleString("en-US");
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/**
 * Copies the bench's plugin and tenant until the registry holds `to` of each (copies are
 * numbered from 1; the bench's own are the first), then builds the new plugins' package
 * documents and tenants' manifests through the gateway's `readModels.rebuild`, printing
 * progress every few seconds.
 */
async function growRegistry(
  databaseUrl: string,
  origin: string,
  headers: Record<string, string>,
  from: number,
  to: number,
) {
  const started = performance.now();
  // Nothing is measured meanwhile, so the platform gets every CPU, the load generator's too.
  if (pinned) await movePlatformTo(`0-${availableParallelism() - 1}`);
  const copies = Array.from({ length: to - from }, (_, index) => from + index);
  step(`Growing the registry to ${count(to)} plugins and ${count(to)} tenants: seeding ${count(copies.length)} copies`);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await seedCopies(client, scaleTemplate, from, to - 1);
  } finally {
    await client.end();
  }
  step(`Seeded in ${seconds(started)}; building their package documents and manifests (readModels.rebuild)`);
  for (const kind of ["packages", "tenant-manifests"] as const) {
    const kindStarted = performance.now();
    let reported = kindStarted;
    const built = await rebuildReadModels(origin, headers, kind, (done) => {
      if (performance.now() - reported < 10_000) return;
      reported = performance.now();
      console.info(`  ${kind}: ${count(done)} built`);
    });
    console.info(`  ${kind}: ${count(built)} built in ${seconds(kindStarted)}`);
  }
  if (pinned) await movePlatformTo(pinned.server);
  step(`The registry holds ${count(to)} plugins and tenants, each with its read models (${seconds(started)} in all)`);
}

const ENGINE_PLUGINS = 20;
const INSTANCES_PER_PLUGIN = 10;
/** Cold first requests measured on each side, alternating. */
const COLD_SAMPLES = 10;

/** A figure of single requests' latencies: the median as a rate, so it compares like the others. */
function latencyFigure(milliseconds: number[]): Figure {
  const sorted = [...milliseconds].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return { rps: median > 0 ? 1000 / median : 0, p50: Math.round(median), p99: Math.round(sorted.at(-1) ?? 0) };
}

/** The plugin engine's figures (see HELP), each chosen by --only like the others. */
async function compareEngine(platform: string, token: string, signedIn: Record<string, string>) {
  const comparisons: Comparison[] = [];
  const names = { warm: "plugin call (warm)", cold: "plugin call (cold)", scale: "plugin call at 200 instances" };
  if (!Object.values(names).some(chosen)) return comparisons;
  step("Starting a bare host with a Worker Loader; publishing and installing a trivial server-side plugin");
  const host = (await start({ workers: loaderHostBaseline() })).origin;
  await publishServerPlugin(platform, token, "bench-trivial", TRIVIAL_PLUGIN);
  await installActive(platform, token, TENANT, "bench-trivial", "trivial");
  const call = (instanceId: string) => `${platform}/api/plugins/instances/${instanceId}/ping`;
  const warmCall = () => measure(call("trivial"), signedIn);
  if (chosen(names.warm) || chosen(names.scale)) {
    const warm = { name: names.warm, target: 0.7, subject: warmCall, baselineName: "bare loader host" };
    comparisons.push(await compare({ ...warm, baseline: () => measure(`${host}/warm`) }, "a bare loader host"));
    // Reported beside it: the same host behind an edge worker, the hop this architecture always has.
    const behindEdge = (await start({ workers: loaderHostBaseline({ behindEdge: true }) })).origin;
    const passthrough = { name: names.warm, subject: warmCall, baselineName: "edge → loader host" };
    comparisons.push(
      await compare(
        { ...passthrough, baseline: () => measure(`${behindEdge}/warm`) },
        "the loader host behind an edge worker",
      ),
    );
  }
  if (chosen(names.cold)) {
    step(`Measuring ${COLD_SAMPLES} first requests of new instances against as many new isolates on the bare host`);
    const platformCold: number[] = [];
    const hostCold: number[] = [];
    for (let sample = 0; sample < COLD_SAMPLES; sample++) {
      await installActive(platform, token, TENANT, "bench-trivial", `cold-${sample}`);
      platformCold.push(await timedGet(call(`cold-${sample}`), signedIn));
      hostCold.push(await timedGet(`${host}/cold/${sample}`));
    }
    comparisons.push({
      name: names.cold,
      subject: latencyFigure(platformCold),
      baselineName: "bare host, new isolate",
      baseline: latencyFigure(hostCold),
      target: 0.5,
    });
  }
  if (chosen(names.scale)) {
    const started = performance.now();
    step(`Installing ${ENGINE_PLUGINS * INSTANCES_PER_PLUGIN} instances of ${ENGINE_PLUGINS} server-side plugins`);
    for (let plugin = 1; plugin <= ENGINE_PLUGINS; plugin++) {
      const pluginId = `bench-trivial-${plugin}`;
      await publishServerPlugin(platform, token, pluginId, TRIVIAL_PLUGIN);
      for (let copy = 1; copy <= INSTANCES_PER_PLUGIN; copy++) {
        const instanceId = `${pluginId}-${copy}`;
        await installActive(platform, token, TENANT, pluginId, instanceId);
        await timedGet(call(instanceId), signedIn);
      }
      if (plugin % 5 === 0) console.info(`  ${plugin * INSTANCES_PER_PLUGIN} instances installed and called`);
    }
    step(`Installed and called in ${seconds(started)}; measuring the first instance again`);
    const atScale: Figure[] = [];
    for (let round = 0; round < rounds; round++) atScale.push(await warmCall());
    comparisons.push({
      name: names.scale,
      subject: medianFigure(atScale),
      baselineName: "before the 200",
      baseline: medianFigure(roundsOf.get(warmCall) ?? []),
      target: 0.9,
    });
  }
  return comparisons;
}

async function main(): Promise<number> {
  step("Building both workers (wrangler deploy --dry-run)");
  const bundles = buildWorkerBundles(join(persist, "build"));
  step("Starting Postgres");
  const postgres = await startLocalPostgres();
  stops.push({ name: "Postgres", stop: () => postgres.stop() });
  await applyMigrations(postgres.url);
  const bridge = await startNeonBridge();
  stops.push({ name: "the Neon bridge", stop: () => bridge.stop() });

  step("Starting the platform and a copy without caches");
  const stack = { bundles, databaseUrl: postgres.url, bridgeAddress: bridge.address };
  const platform = (await start({ workers: platformWorkers(stack) })).origin;
  const uncachedWorkers = platformWorkers({ ...stack, edgeCache: false, apiBindings: { HOT_CACHE_MAX_BYTES: "0" } });
  const uncached = (await start({ workers: uncachedWorkers })).origin;

  step("Publishing a 100 KB bundle");
  const token = await signDevToken({ sub: "bench", role: "admin", tenant: TENANT });
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
  step(`Installing it for tenant ${TENANT}, active`);
  const installed = await fetch(`${platform}/api/plugins/install`, {
    method: "POST",
    body: JSON.stringify({ pluginId: PLUGIN, activate: true }),
    headers: { authorization: `Bearer ${token}`, "x-tenant-id": TENANT, "content-type": "application/json" },
  });
  if (installed.status !== 201) throw new Error(`install failed: ${installed.status} ${await installed.text()}`);

  const exact = `/plugins/bundles/${PLUGIN}/v1.0.0/bundle.js`;
  const etag = (await fetch(`${platform}${exact}`)).headers.get("etag") ?? "";
  const resolveInput = encodeURIComponent(JSON.stringify({ pluginId: PLUGIN, range: "^1.0.0" }));
  const manifestOf = (tenant: string) => `${platform}/api/tenants/${tenant}/plugins/manifest`;
  const manifest = manifestOf(TENANT);
  const signedIn = { authorization: `Bearer ${token}` };
  await growRegistry(postgres.url, platform, signedIn, 1, SMALL_SCALE);
  const manifestAnswer = await fetch(manifest, { headers: signedIn });
  const manifestEtag = manifestAnswer.headers.get("etag") ?? "";
  const manifestBody = await manifestAnswer.text();

  step(`Starting the baselines (memory; two-worker, with the manifest's ${manifestBody.length} bytes in R2)`);
  const keys = { bundle: BUNDLE_KEY, json: JSON_KEY };
  const memory = (await start({ workers: memoryBaseline(keys) })).origin;
  const { mf: twoWorkerInstance, origin: twoWorker } = await start({ workers: twoWorkerBaseline(keys) });
  const bucket = await twoWorkerInstance.getR2Bucket("BUNDLES", "origin");
  await bucket.put(JSON_KEY, manifestBody, { httpMetadata: { contentType: "application/json" } });
  const jsonEtag = (await fetch(`${twoWorker}/json`)).headers.get("etag") ?? "";

  const memoryGet = () => measure(`${memory}/bundle.js`);
  const memory304 = () => measure(`${memory}/bundle.js`, { "if-none-match": '"baseline"' }, 304);
  const twoWorkerJson = () => measure(`${twoWorker}/json`);
  const platformFile = () => measure(`${platform}${exact}`);
  const platformManifest = () => measure(manifest, signedIn);
  const platformDocument = () => measure(`${platform}/api/plugins/${PLUGIN}`);
  const scenarios: Scenario[] = [
    {
      name: "warm immutable GET",
      target: 0.85,
      subject: platformFile,
      baselineName: "memory",
      baseline: memoryGet,
    },
    {
      name: "304 revalidation",
      target: 0.85,
      subject: () => measure(`${platform}${exact}`, { "if-none-match": etag }, 304),
      baselineName: "memory, 304",
      baseline: memory304,
    },
    {
      name: "cache-miss GET",
      target: 0.9,
      subject: () => measure(`${uncached}${exact}`),
      baselineName: "two-worker passthrough",
      baseline: () => measure(`${twoWorker}/bundle.js`),
    },
    {
      name: "floating-ref 302",
      target: 0.9,
      subject: () => measure(`${platform}/plugins/bundles/${PLUGIN}@%5E1.0.0/bundle.js`, {}, 302),
      baselineName: "two-worker JSON",
      baseline: twoWorkerJson,
    },
    {
      name: "tRPC resolve",
      target: 0.9,
      subject: () => measure(`${platform}/trpc/plugins.resolve?input=${resolveInput}`),
      baselineName: "two-worker JSON",
      baseline: twoWorkerJson,
    },
    {
      name: "package document",
      target: 0.9,
      subject: platformDocument,
      baselineName: "two-worker JSON",
      baseline: twoWorkerJson,
    },
    {
      name: "tenant manifest GET",
      target: 0.9,
      subject: platformManifest,
      baselineName: "two-worker JSON",
      baseline: twoWorkerJson,
    },
    {
      name: "tenant manifest 304",
      target: 0.9,
      subject: () => measure(manifest, { ...signedIn, "if-none-match": manifestEtag }, 304),
      baselineName: "two-worker JSON, 304",
      baseline: () => measure(`${twoWorker}/json`, { "if-none-match": jsonEtag }, 304),
    },
  ];
  // What npm sends for an install: Verdaccio then answers the abbreviated packument.
  const npmAccept = { accept: "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*" };
  /** The comparisons beside Verdaccio, once it serves `tarball` and `packument`. */
  const peerScenarios = (tarball: string, packument: string): Scenario[] => [
    {
      name: "file GET (warm)",
      target: 3,
      subject: platformFile,
      baselineName: "tarball GET",
      baseline: () => measure(tarball),
    },
    {
      name: "package document",
      target: 2,
      subject: platformDocument,
      baselineName: "packument GET",
      baseline: () => measure(packument, npmAccept),
    },
    {
      name: "tenant manifest GET",
      target: 2,
      subject: platformManifest,
      baselineName: "packument GET",
      baseline: () => measure(packument, npmAccept),
    },
  ];

  const comparisons: Comparison[] = [];
  for (const scenario of scenarios.filter(({ name }) => chosen(name))) {
    comparisons.push(await compare(scenario, scenario.baselineName));
  }
  const peerComparisons: Comparison[] = [];
  if (peerScenarios("", "").some(({ name }) => chosen(name))) {
    step(`Starting Verdaccio ${VERDACCIO_VERSION}`);
    const peer = await startVerdaccio(join(persist, "verdaccio"));
    verdaccio = peer;
    stops.push({ name: "Verdaccio", stop: () => peer.stop() });
    step(`Publishing the same file to Verdaccio as ${PLUGIN}@1.0.0`);
    const tarball = await peer.publish({ name: PLUGIN, version: "1.0.0", files: { "bundle.js": bundle } });
    const packument = `${peer.origin}/${PLUGIN}`;
    for (const scenario of peerScenarios(tarball, packument).filter(({ name }) => chosen(name))) {
      peerComparisons.push(await compare(scenario, `Verdaccio's ${scenario.baselineName}`));
    }
  }

  const engineComparisons = await compareEngine(platform, token, signedIn);

  const scaleComparisons: Comparison[] = [];
  const largePlugin = seededPluginId(LARGE_SCALE - 1);
  const largeTenant = seededTenantId(LARGE_SCALE - 1);
  if (!values["skip-scale"] && only === undefined) {
    await growRegistry(postgres.url, platform, signedIn, SMALL_SCALE, LARGE_SCALE);
    // The same reads, of a plugin and a tenant seeded last, set against every round of them at
    // SMALL_SCALE (in the first table and beside Verdaccio): minutes apart, so more rounds weigh.
    const atScale = [
      {
        name: "package document",
        small: platformDocument,
        probe: () => measure(`${platform}/api/plugins/${largePlugin}`),
      },
      { name: "tenant manifest GET", small: platformManifest, probe: () => measure(manifestOf(largeTenant), signedIn) },
    ];
    step(
      `Measuring the package document and the tenant manifest at ${count(LARGE_SCALE)} (${rounds} rounds of ${duration}s, alternating)`,
    );
    const figures: Figure[][] = atScale.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (const [index, { probe }] of atScale.entries()) figures[index]?.push(await probe());
    }
    for (const [index, { name, small }] of atScale.entries()) {
      scaleComparisons.push({
        name,
        subject: medianFigure(figures[index] ?? []),
        baselineName: `at ${count(SMALL_SCALE)}`,
        baseline: medianFigure(roundsOf.get(small) ?? []),
        target: 0.9,
      });
    }
  }

  console.info(`
Postgres: ${postgres.kind}; ${connections} connections; medians of ${rounds} rounds of ${duration}s.

${comparisonTable("request", "baseline", comparisons)}

peer: Verdaccio ${VERDACCIO_VERSION}

${comparisonTable("platform request", `Verdaccio ${VERDACCIO_VERSION}`, peerComparisons)}

plugin engine: a trivial server-side plugin, through the gateway and on a bare loader host

${comparisonTable("platform request", "baseline", engineComparisons)}
${
  scaleComparisons.length === 0
    ? ""
    : `
scale: ${count(LARGE_SCALE)} plugins and ${count(LARGE_SCALE)} tenants (${largePlugin}, ${largeTenant}) against ${count(SMALL_SCALE)} (${PLUGIN}, ${TENANT}; every round of the tables above)

${comparisonTable(`at ${count(LARGE_SCALE)}`, "baseline", scaleComparisons)}
`
}`);
  return [...comparisons, ...peerComparisons, ...engineComparisons, ...scaleComparisons].some(missed) ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  // After a signal, the failures are the stop's own (the load generator ended, workerd gone).
  if (!interrupted.signal.aborted) {
    console.error(`pnpm bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  }
} finally {
  await stopEverything();
}
