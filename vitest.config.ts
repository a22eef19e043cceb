import { defineConfig } from "vitest/config";
import { findPostgresBinaries } from "./scripts/local-stack/postgres";

/**
 * PGlite (the fallback where no PostgreSQL server is installed) is one session shared by
 * every connection, so concurrent transactions from two test files would interleave.
 */
const sharedSession = process.env.LOCAL_POSTGRES === "pglite" || findPostgresBinaries() === null;

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
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
