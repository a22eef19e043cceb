import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { describe } from "vitest";

/** Debian's Chromium, driven by playwright-core (ENVIRONMENT.md); `.ci/run` installs it. */
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--no-first-run",
];

/**
 * `describe` for a suite that needs the browser. Under CI a missing browser must fail it
 * (launching throws), never skip it; on a laptop without one it is skipped, with a warning.
 */
export function inBrowser(suite: string): typeof describe | typeof describe.skip {
  if (existsSync(CHROMIUM) || process.env.CI) return describe;
  console.warn(`${suite}: ${CHROMIUM} is missing, so the browser tests are skipped (apt-get install chromium)`);
  return describe.skip;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}
