import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "playwright-core";
import { expect } from "vitest";
import { ROOT } from "../scripts/local-stack/worker-bundles";
import type { Stack } from "./stack";

/** Where the browser suites write their screenshots: CI keeps this folder (.ci/run says so). */
export const SCREENSHOTS = join(ROOT, "test-results/screenshots");

/** The two widths every page must read well at: a phone's and a laptop's. */
export const WIDTHS = { phone: 390, laptop: 1280 } as const;

export interface OpenedPage {
  page: Page;
  /** Console errors, uncaught exceptions and Content-Security-Policy violations so far. */
  problems: string[];
  /** Every response body the page received, by URL, for "the secret never reached the page". */
  responses: Array<{ url: string; status: number; body: Promise<Buffer | null> }>;
  close(): Promise<void>;
}

/**
 * A fresh browser context on the stack's origin at `width`, optionally signed in: the token
 * is put where the app keeps it (session storage) before any script of the page runs.
 */
export async function openPage(
  browser: Browser,
  stack: Stack,
  options: { width?: number; token?: string } = {},
): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width: options.width ?? WIDTHS.laptop, height: 900 } });
  if (options.token) {
    await context.addInitScript((token) => sessionStorage.setItem("plugins.bearer-token", token), options.token);
  }
  // In every document the context opens: a violation is reported as a console error.
  await context.addInitScript(() =>
    document.addEventListener("securitypolicyviolation", (event) =>
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`),
    ),
  );
  const page = await context.newPage();
  const problems: string[] = [];
  const responses: OpenedPage["responses"] = [];
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  page.on("console", (message) => {
    // A refused call's status is logged by the browser itself ("Failed to load resource: 409"):
    // the page shows those refusals, and the tests check it does.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      problems.push(`console: ${message.text()}`);
    }
  });
  page.on("response", (response) => {
    if (!response.url().startsWith(stack.url)) return;
    responses.push({ url: response.url(), status: response.status(), body: response.body().catch(() => null) });
  });
  return { page, problems, responses, close: () => context.close() };
}

/** No axe-core violation of impact serious or critical (WCAG 2.1 A and AA rules). */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const grave = results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`,
    );
  expect(grave, `${what}: accessibility violations`).toEqual([]);
}

/** A full-page screenshot, `<name>-<width>.png` in SCREENSHOTS. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
}

/** The page reads at its width: nothing wider than the viewport, so no sideways scrolling. */
export async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const { scrollWidth, width } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  expect(scrollWidth, "the page is wider than the viewport").toBeLessThanOrEqual(width);
}

/** Bytes of JavaScript the page loaded from the stack, as gzip sends them. */
export async function javaScriptGzipBytes(opened: OpenedPage): Promise<number> {
  let total = 0;
  for (const response of opened.responses) {
    if (!/\.m?js(\?|$)/.test(response.url)) continue;
    const body = await response.body;
    if (body) total += gzipSync(body, { level: 9 }).length;
  }
  return total;
}
