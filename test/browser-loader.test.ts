import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { loadTenantPlugins, PluginLoadReport } from "../packages/client/src/loader";
import { ROOT } from "../scripts/local-stack/worker-bundles";
import { pluginFolder, publishFields, tarGz } from "./archive-fixtures";
import { mintCast } from "./cast";
import { inBrowser, launchChromium } from "./chromium";
import { install, pluginMetadata, publish, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";

/**
 * `loadTenantPlugins` of `@plugins/client/loader` in headless Chromium, on a page of another
 * origin (a static server here, allowed by CORS_ORIGINS), loading tenant acme's plugins from
 * the stack: the manifest with alice's token, the key set from `GET /api/keys`, each plugin's
 * files from its bundle URLs. Among them: one whose entry file was changed in R2 after publish,
 * one whose chunk was, one whose stored signature is another version's, one never signed, and
 * one whose activation throws.
 */

const inBrowserSuite = inBrowser("browser-loader");

const run = promisify(execFile);

let built = "";
let page: Server;
let pageOrigin = "";
let stack: Stack;
let alice = "";

/** The host page: it imports the built loader, as an application's bundle would, and hands it to the test. */
const HOST_PAGE = `<!doctype html><title>host</title><script type="module">
import { loadTenantPlugins } from "/loader.js";
window.loadTenantPlugins = loadTenantPlugins;
</script>`;

/** Serves the host page and the built loader (and the chunk it imports). */
function servePage(folder: string): Server {
  return createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://page").pathname;
    if (path === "/") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end(HOST_PAGE);
      return;
    }
    const file = /^\/[\w-]+\.js$/.test(path) ? join(folder, path) : null;
    if (!file || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
    response.end(readFileSync(file));
  });
}

/** Publishes `files` as an archive and installs it for acme, started. */
async function publishArchive(id: string, files = pluginFolder({ id, version: "1.0.0" })) {
  await publishFields(stack, { token: alice, file: await tarGz(files) });
  await installActive(id);
}

async function installActive(id: string) {
  const response = await install(stack, alice, "acme", { pluginId: id, activate: true });
  expect(response.status, await response.text()).toBe(201);
}

beforeAll(async () => {
  built = mkdtempSync(join(tmpdir(), "browser-loader-"));
  await run(process.execPath, [join(ROOT, "packages/client/build.mjs"), "--outdir", built, "--javascript-only"], {
    timeout: 120_000,
  });
  page = servePage(built);
  await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
  pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;

  stack = await startStack({ apiBindings: { CORS_ORIGINS: pageOrigin } });
  alice = (await mintCast(stack)).alice;

  // Good: its entry imports a code-split chunk, and mounts what the chunk exports.
  await publishArchive("loader-good");

  // Its entry file, changed in R2 after publish: its integrity no longer matches.
  await publish(
    stack,
    alice,
    pluginMetadata({ id: "loader-tampered" }),
    "export default function activate(host) { host.mount('tampered: published') }",
  );
  await stack.bucket.put(
    "loader-tampered/1.0.0/bundle.js",
    "export default function activate(host) { host.mount('tampered: swapped in R2') }",
    { httpMetadata: { contentType: "text/javascript; charset=utf-8" } },
  );
  await installActive("loader-tampered");

  // Its chunk, changed in R2 after publish: the entry checks out, the browser refuses the chunk.
  const chunked = pluginFolder({ id: "loader-chunk-tampered", version: "1.0.0" });
  await publishArchive("loader-chunk-tampered", chunked);
  await stack.bucket.put("loader-chunk-tampered/1.0.0/chunks/a.js", 'export const chunk = "chunk: swapped in R2";\n', {
    httpMetadata: { contentType: "text/javascript; charset=utf-8" },
  });

  // Its stored signature replaced by another version's: signed by a listed key, over another statement.
  await publish(
    stack,
    alice,
    pluginMetadata({ id: "loader-forged" }),
    "export default function activate(host) { host.mount('forged') }",
  );
  await installActive("loader-forged");
  await stack.db.query(
    `update plugin_versions set signature = (select signature from plugin_versions where plugin_id = 'loader-good')
      where plugin_id = 'loader-forged'`,
  );
  // A version published before signing existed (none signed it yet).
  await publish(
    stack,
    alice,
    pluginMetadata({ id: "loader-unsigned" }),
    "export default function activate(host) { host.mount('unsigned') }",
  );
  await installActive("loader-unsigned");
  await stack.db.query("update plugin_versions set signature = null where plugin_id = 'loader-unsigned'");
  await trpc(stack, (await mintCast(stack)).root).readModels.rebuild.mutate({ kind: "tenant-manifests" });

  // Its activation throws.
  await publish(
    stack,
    alice,
    pluginMetadata({ id: "loader-throws" }),
    "export default function activate() { throw new Error('activation exploded') }",
  );
  await installActive("loader-throws");
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => page?.close(resolve));
  if (built) rmSync(built, { recursive: true, force: true });
});

inBrowserSuite("loadTenantPlugins in headless Chromium", () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(() => browser?.close());

  /**
   * Opens the host page, loads acme's plugins with `keys` (the key set's URL unless given) and
   * returns the reports by instance id, what the plugins mounted, and the console's lines.
   */
  async function loadInPage(keys?: unknown) {
    const tab: Page = await browser.newPage();
    const logged: string[] = [];
    tab.on("console", (message) => logged.push(message.text()));
    tab.on("pageerror", (error) => logged.push(`page error: ${error.message}`));
    try {
      await tab.goto(`${pageOrigin}/`);
      await tab
        .waitForFunction(() => "loadTenantPlugins" in window, undefined, { timeout: 10_000 })
        .catch(() => {
          throw new Error(`the host page did not load the loader: ${logged.join("\n")}`);
        });
      const outcome = await tab.evaluate(
        async (options) => {
          const page = window as unknown as { loadTenantPlugins: typeof loadTenantPlugins };
          const mounted: string[] = [];
          const reports = await page.loadTenantPlugins({
            manifestUrl: options.manifestUrl,
            token: options.token,
            keys: options.keys as never,
            host: { mount: (what: string) => mounted.push(what) },
          });
          return { reports, mounted };
        },
        {
          manifestUrl: `${stack.url}/api/tenants/acme/plugins/manifest`,
          token: alice,
          keys: keys ?? `${stack.url}/api/keys`,
        },
      );
      const byInstance = Object.fromEntries(outcome.reports.map((report) => [report.instanceId, report]));
      return { reports: byInstance as Record<string, PluginLoadReport>, mounted: outcome.mounted, logged };
    } finally {
      await tab.close();
    }
  }

  it("loads the good plugin and its chunk, refuses the tampered file and the bad signature, and reports the one that throws, the rest still running", async () => {
    const { reports, mounted, logged } = await loadInPage();
    expect(Object.keys(reports).sort()).toEqual([
      "loader-chunk-tampered",
      "loader-forged",
      "loader-good",
      "loader-tampered",
      "loader-throws",
      "loader-unsigned",
    ]);
    expect(reports["loader-good"]).toEqual({
      instanceId: "loader-good",
      pluginId: "loader-good",
      version: "1.0.0",
      status: "loaded",
    });
    expect(reports["loader-tampered"]).toMatchObject({ status: "refused", reason: "integrity" });
    expect(reports["loader-tampered"]).toHaveProperty(
      "message",
      expect.stringContaining("does not match its integrity"),
    );
    expect(reports["loader-forged"]).toEqual({
      instanceId: "loader-forged",
      pluginId: "loader-forged",
      version: "1.0.0",
      status: "refused",
      reason: "bad-signature",
      message: "loader-forged@1.0.0's signature does not match its content",
    });
    expect(reports["loader-unsigned"]).toMatchObject({
      status: "refused",
      reason: "unsigned",
      message: "loader-unsigned@1.0.0 is not signed",
    });
    expect(reports["loader-throws"]).toMatchObject({ status: "failed", error: "activation exploded" });
    // The browser itself refused the changed chunk, by the import map's integrity.
    expect(reports["loader-chunk-tampered"]).toMatchObject({ status: "failed" });
    expect(logged.join("\n")).toMatch(/integrity/i);
    // Only the good plugin's code ran to the end: nothing refused ran at all.
    expect(mounted).toEqual(["lazy 1"]);
  });

  it("refuses every plugin, running none, when the key set does not list the key that signed them", async () => {
    const { reports, mounted } = await loadInPage({ keys: [] });
    const { "loader-unsigned": unsigned, ...signed } = reports;
    for (const report of Object.values(signed)) {
      expect(report).toMatchObject({ status: "refused", reason: "unknown-key" });
    }
    expect(Object.keys(signed)).toHaveLength(5);
    expect(unsigned).toMatchObject({ status: "refused", reason: "unsigned" });
    expect(mounted).toEqual([]);
  });
});
