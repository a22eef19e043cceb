import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { pluginFolder, publishFields, tarGz, utf8 } from "./archive-fixtures";
import { type Cast, mintCast } from "./cast";
import { inBrowser, launchChromium } from "./chromium";
import { pluginMetadata, publish, trpc, UUID } from "./helpers";
import { type Stack, startStack } from "./stack";
import {
  expectAccessible,
  expectNoSidewaysScroll,
  javaScriptGzipBytes,
  openPage,
  screenshot,
  WIDTHS,
} from "./web-pages";

/** The budget for the marketplace's first load. */
const FIRST_LOAD_BUDGET_BYTES = 200 * 1024;

const HOSTILE_README = [
  "# Totally normal",
  "Some *emphasis* and a [safe link](https://example.com/docs).",
  '<script>window.__readmeRan = "script"</script>',
  '<img src="/nowhere.png" onerror="window.__readmeRan = \'onerror\'" alt="x">',
  '<a href="javascript:window.__readmeRan=\'link\'" id="js-link">click me</a>',
  '<iframe src="/" id="frame"></iframe>',
  '<div onmouseover="window.__readmeRan = \'hover\'" id="hover-me">hover</div>',
  '<svg><script>window.__readmeRan = "svg"</script></svg>',
  '<form action="/api/plugins/upload"><button>send</button></form>',
].join("\n\n");

/** A bundle file that, were it run as a page of the console's origin, would take the token. */
const STEALING_PAGE =
  '<!doctype html><title>steal</title><script>window.__stolen = sessionStorage.getItem("plugins.bearer-token")</script>';

inBrowser("web-marketplace")("the marketplace in Chromium", () => {
  let stack: Stack;
  let cast: Cast;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack();
    cast = await mintCast(stack);
    browser = await launchChromium();
    await publish(
      stack,
      cast.alice,
      pluginMetadata({
        id: "charts",
        name: "Charts",
        version: "1.0.0",
        category: "visualization",
        extensionPoints: ["dashboard-widgets"],
        description: "Line, bar and pie charts for dashboards",
        license: "MIT",
      }),
    );
    // 1.1.0 as a built folder: a readme file and an icon among its files.
    await publishFields(stack, {
      token: cast.alice,
      file: await tarGz([
        ...pluginFolder({
          id: "charts",
          name: "Charts",
          version: "1.1.0",
          category: "visualization",
          extensionPoints: ["dashboard-widgets"],
          description: "Line, bar and pie charts for dashboards",
          license: "MIT",
          displayName: "Charts for dashboards",
          keywords: ["graphs", "plots"],
          homepage: "https://charts.example.com",
          readme: "README.md",
          icon: "logo.png",
        }),
        { path: "README.md", bytes: utf8("# Charts\n\nDraw **line** charts.\n\n- bars\n- pies\n") },
        { path: "pages/steal.html", bytes: utf8(STEALING_PAGE) },
      ]),
    });
    await trpc(stack, cast.alice).versions.deprecate.mutate({
      pluginId: "charts",
      version: "1.0.0",
      message: "Use 1.1.0: it draws faster",
    });
    await publish(
      stack,
      cast.alice,
      pluginMetadata({
        id: "stripe-pay",
        name: "Stripe payments",
        category: "payment",
        description: "Card payments at checkout",
      }),
    );
    await publish(
      stack,
      cast.alice,
      pluginMetadata({
        id: "hostile-readme",
        name: "Hostile readme",
        category: "testing",
        description: "A readme that tries to run script",
        readme: { text: HOSTILE_README },
      }),
    );
    // 22 more, so that a listing has a second page (20 a page).
    for (let index = 0; index < 22; index++) {
      await publish(
        stack,
        cast.alice,
        pluginMetadata({
          id: `filler-${String(index).padStart(2, "0")}`,
          name: `Filler ${index}`,
          category: "filler",
          description: "Fills a page of results",
        }),
      );
    }
    // Downloads of charts on three days of the chart's window, as the counter stores them.
    const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString().slice(0, 10);
    await stack.db.query(
      `insert into download_counts (plugin_id, version, day, count)
       values ('charts', '1.0.0', $1, 40), ('charts', '1.1.0', $1, 2), ('charts', '1.1.0', $2, 17), ('charts', '1.1.0', $3, 5)`,
      [day(10), day(3), day(0)],
    );
    // The all-time total the flush of those counts would have added (downloads/record.ts).
    await stack.db.query("update plugins set downloads = 64 where id = 'charts'");
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("searches by words, filters by category and kind, and pages through results in the address bar", async () => {
    const opened = await openPage(browser, stack);
    const { page } = opened;
    await page.goto(`${stack.url}/`);
    await expect.poll(() => page.locator(".result").count()).toBe(20);
    await page.getByRole("link", { name: "Next page" }).click();
    await expect.poll(() => page.locator(".result").count()).toBe(5);
    expect(new URL(page.url()).searchParams.get("cursor")).toBeTruthy();
    await page.getByRole("link", { name: "Previous page" }).click();
    await expect.poll(() => page.locator(".result").count()).toBe(20);

    await page.getByLabel("Search plugins").fill("charts");
    await page.getByLabel("Search plugins").press("Enter");
    await expect.poll(() => page.locator(".result-title").allTextContents()).toEqual(["Charts for dashboards"]);
    expect(new URL(page.url()).searchParams.get("q")).toBe("charts");

    await page.getByLabel("Search plugins").fill("");
    await page.getByLabel("Category").fill("payment");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.locator(".result-title").allTextContents()).toEqual(["Stripe payments"]);

    await page.getByLabel("Category").fill("");
    await page.getByLabel("Sort by").selectOption("downloads");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.locator(".result-title").first().textContent()).toBe("Charts for dashboards");
    expect(await page.locator(".result-id").first().textContent()).toContain("64 downloads");
    expect(new URL(page.url()).searchParams.get("sort")).toBe("downloads");
    await page.getByLabel("Sort by").selectOption("updated");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.locator(".result-title").first().textContent()).toBe("Filler 21");

    await page.getByLabel("Kind").selectOption("agent");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.locator(".empty-state").textContent()).toContain("No plugin matches");
    expect(opened.problems).toEqual([]);
    await opened.close();
  });

  it("shows a plugin's page: readme, versions with status and tags, downloads chart, files with SRI, a verified signature, maintainers", async () => {
    const opened = await openPage(browser, stack);
    const { page } = opened;
    await page.goto(`${stack.url}/plugin/charts`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Charts for dashboards");
    await expect.poll(() => page.locator(".readme strong").textContent()).toBe("line");
    const rows = page.locator("section[aria-labelledby=versions-title] tbody tr");
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toContain("1.1.0");
    expect(await rows.nth(0).textContent()).toContain("latest");
    expect(await rows.nth(1).textContent()).toContain("deprecated");
    expect(await rows.nth(1).textContent()).toContain("Use 1.1.0: it draws faster");
    await expect.poll(() => page.locator(".downloads-total").textContent()).toBe("64");
    expect(await page.locator(".downloads-chart rect").count()).toBe(30);
    await expect.poll(() => page.locator(".status-ok").first().textContent()).toContain("verified");
    await page.getByRole("button", { name: "Show the files" }).click();
    expect(await page.locator("section[aria-labelledby=files-title] tbody code.sri").first().textContent()).toMatch(
      /^sha384-[A-Za-z0-9+/]+=*$/,
    );
    expect(await page.locator("section[aria-labelledby=maintainers-title]").textContent()).toContain("alice");
    expect(await page.getByRole("link", { name: "Homepage" }).getAttribute("href")).toBe("https://charts.example.com");
    const icon = page.locator(".plugin-icon img");
    expect(await icon.getAttribute("src")).toBe("/plugins/bundles/charts/v1.1.0/logo.png");
    await expect.poll(() => icon.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBeGreaterThan(0);
    expect(await page.getByRole("button", { name: /^Install/ }).count()).toBe(0);
    expect(opened.problems).toEqual([]);
    await opened.close();
  });

  it("renders a readme's script, event handlers, javascript: links, frames and forms inert", async () => {
    const opened = await openPage(browser, stack);
    const { page } = opened;
    await page.goto(`${stack.url}/plugin/hostile-readme`);
    await expect.poll(() => page.locator(".readme h3").textContent()).toBe("Totally normal");
    await page
      .locator("#hover-me")
      .hover()
      .catch(() => undefined);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as { __readmeRan?: string }).__readmeRan)).toBeUndefined();
    const readme = page.locator(".readme");
    expect(await readme.locator("script, iframe, form, button, object, embed").count()).toBe(0);
    const attributes = await readme.evaluate((root) =>
      [...root.querySelectorAll("*")].flatMap((element) => [...element.attributes].map((attribute) => attribute.name)),
    );
    expect(attributes.filter((name) => name.startsWith("on"))).toEqual([]);
    const hrefs = await readme.locator("a").evaluateAll((links) => links.map((link) => link.getAttribute("href")));
    expect(hrefs.filter((href) => href?.trim().toLowerCase().startsWith("javascript:"))).toEqual([]);
    expect(hrefs).toContain("https://example.com/docs");
    await opened.close();
  });

  it("lets a tenant's editor install from the plugin page, landing on the new instance", async () => {
    const opened = await openPage(browser, stack, { token: cast.carol });
    const { page } = opened;
    await page.goto(`${stack.url}/plugin/stripe-pay`);
    await page.getByRole("button", { name: "Install 1.0.0 in acme" }).click();
    await page.waitForURL(`${stack.url}/console/instances/stripe-pay`);
    const instance = await trpc(stack, cast.carol).installations.get.query({
      tenantId: "acme",
      instanceId: "stripe-pay",
    });
    expect(instance).toMatchObject({ pluginId: "stripe-pay", version: "1.0.0" });
    await opened.close();
  });

  it("does not offer a viewer the install button", async () => {
    const opened = await openPage(browser, stack, { token: cast.vera });
    await opened.page.goto(`${stack.url}/plugin/charts`);
    await expect.poll(() => opened.page.getByRole("heading", { level: 1 }).textContent()).toBe("Charts for dashboards");
    expect(await opened.page.getByRole("button", { name: /^Install/ }).count()).toBe(0);
    await opened.close();
  });

  it("shows a refusal with the server's message and request id", async () => {
    const opened = await openPage(browser, stack);
    await opened.page.goto(`${stack.url}/plugin/no-such-plugin`);
    const alert = opened.page.getByRole("alert");
    await expect.poll(() => alert.textContent()).toContain("Plugin 'no-such-plugin' does not exist");
    const requestId = /request id ([0-9a-f-]{36})/.exec((await alert.textContent()) ?? "")?.[1];
    expect(requestId).toMatch(UUID);
    await opened.close();
  });

  it("works from the keyboard alone: skip link, search, a result, its page", async () => {
    const opened = await openPage(browser, stack);
    const { page } = opened;
    await page.goto(`${stack.url}/`);
    await expect.poll(() => page.locator(".result").count()).toBe(20);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Enter");
    // From the main landmark, the next stop is the search box.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("q");
    await page.keyboard.type("stripe");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator(".result-title").allTextContents()).toEqual(["Stripe payments"]);
    await page.locator(".result-title a").focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(`${stack.url}/plugin/stripe-pay`);
    await opened.close();
  });

  it("loads within 200 KB of JavaScript (gzip), without layout shifts or policy violations", async () => {
    const opened = await openPage(browser, stack);
    const { page } = opened;
    await page.addInitScript(() => {
      (window as { __shift?: number }).__shift = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as Array<PerformanceEntry & { value: number; hadRecentInput: boolean }>) {
          if (!entry.hadRecentInput)
            (window as { __shift?: number }).__shift = ((window as { __shift?: number }).__shift ?? 0) + entry.value;
        }
      }).observe({ type: "layout-shift", buffered: true });
    });
    await page.goto(`${stack.url}/`, { waitUntil: "networkidle" });
    await expect.poll(() => page.locator(".result").count()).toBe(20);
    const bytes = await javaScriptGzipBytes(opened);
    expect(bytes).toBeGreaterThan(10_000);
    expect(bytes).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_BYTES);
    expect(await page.evaluate(() => (window as { __shift?: number }).__shift)).toBeLessThan(0.1);
    expect(opened.problems).toEqual([]);
    await opened.close();
  });

  it("keeps bundle files and the console apart on one origin: no bundle script in a console page, no token for a bundle page", async () => {
    const opened = await openPage(browser, stack, { token: cast.alice });
    const { page } = opened;
    await page.goto(`${stack.url}/console`);
    await expect.poll(() => page.getByRole("navigation", { name: "Console" }).count()).toBe(1);
    // The plugin's own entry, on this origin, added to the page and imported: both refused by script-src.
    const entry = "/plugins/bundles/charts/v1.1.0/index.js";
    // A string, not a function: vitest would rewrite a function's import() before Chromium saw it.
    const imported = await page.evaluate(`(() => {
      const script = document.createElement("script");
      script.type = "module";
      script.src = ${JSON.stringify(entry)};
      document.head.append(script);
      return import(${JSON.stringify(entry)}).then(() => "imported", (error) => "refused: " + error.message);
    })()`);
    expect(imported).toMatch(/^refused/);
    await expect
      .poll(() => opened.problems.filter((problem) => problem.includes("CSP violation")).length)
      .toBeGreaterThan(0);
    opened.problems.length = 0;

    // The same tab opens a bundle page: its script never runs, and the document cannot reach the tab's storage.
    await page.goto(`${stack.url}/plugins/bundles/charts/v1.1.0/pages/steal.html`);
    expect(await page.evaluate(() => (window as { __stolen?: unknown }).__stolen)).toBeUndefined();
    const storage = await page.evaluate(() => {
      try {
        return `read: ${sessionStorage.getItem("plugins.bearer-token")}`;
      } catch (error) {
        return `refused: ${(error as Error).name}`;
      }
    });
    expect(storage).toBe("refused: SecurityError");
    await opened.close();
  });

  it.each(Object.values(WIDTHS))(
    "reads well at %i px: no sideways scrolling, no serious accessibility violation, screenshots",
    async (width) => {
      const opened = await openPage(browser, stack, { width, token: cast.alice });
      const { page } = opened;
      const pages: Array<[string, string, () => Promise<unknown>]> = [
        ["marketplace", "/", () => expect.poll(() => page.locator(".result").count()).toBe(20)],
        ["search-results", "/?q=charts", () => expect.poll(() => page.locator(".result").count()).toBe(1)],
        ["plugin", "/plugin/charts", () => expect.poll(() => page.locator(".downloads-total").count()).toBe(1)],
        ["sign-in", "/sign-in", () => expect.poll(() => page.getByLabel("Sign-in token").count()).toBe(1)],
        [
          "not-found",
          "/no/such/page",
          () => expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Page not found"),
        ],
      ];
      for (const [name, path, loaded] of pages) {
        await page.goto(`${stack.url}${path}`);
        await loaded();
        await expectNoSidewaysScroll(page);
        await expectAccessible(page, `${name} at ${width} px`);
        await screenshot(page, name);
      }
      expect(opened.problems).toEqual([]);
      await opened.close();
    },
  );
});
