import { configDefaults, defineConfig } from "vitest/config";
import { findPostgresBinaries } from "./scripts/local-stack/postgres";

/**
 * PGlite (the fallback where no PostgreSQL server is installed) is one session shared by
 * every connection, so concurrent transactions from two test files would interleave.
 */
const sharedSession = process.env.LOCAL_POSTGRES === "pglite" || findPostgresBinaries() === null;

/** The suites that drive Chromium (test/chromium.ts). */
const BROWSER_SUITES = ["test/active-content.test.ts", "test/browser-loader.test.ts", "test/web-*.test.ts"];

/** Both workers in workerd against a real Postgres, started by the global setup, per file. */
const integration = {
  include: ["test/**/*.test.ts"],
  globalSetup: ["test/global-setup.ts"],
  testTimeout: 30_000,
  hookTimeout: 120_000,
  // expect.poll's 1 s default is short for a page's queries on a loaded two-core machine.
  expect: { poll: { timeout: 10_000 } },
};

export default defineConfig({
  test: {
    // Each integration file starts its own pair of workers; two cores gain nothing from more.
    maxWorkers: sharedSession ? 1 : 2,
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "workers/*/src/**/*.test.ts", "scripts/**/*.test.ts"],
        },
      },
      {
        test: { ...integration, name: "integration", exclude: [...configDefaults.exclude, ...BROWSER_SUITES] },
      },
      {
        // After the integration group, two at a time: Chromium beside another stack has been seen
        // to starve it (Miniflare's synchronous proxy reads of R2 went out of step under the load).
        test: { ...integration, name: "browser", include: BROWSER_SUITES, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
