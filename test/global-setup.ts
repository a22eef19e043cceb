import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { applyMigrations } from "../scripts/local-stack/migrate";
import { startNeonBridge } from "../scripts/local-stack/neon-bridge";
import { startLocalPostgres } from "../scripts/local-stack/postgres";
import { buildWorkerBundles } from "../scripts/local-stack/worker-bundles";

export const TEMPLATE_DATABASE = "plugins_template";

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string;
    postgresKind: string;
    bridgeAddress: string;
    apiBundle: string;
    pluginsBundle: string;
    webApp: string;
  }
}

/**
 * Once per run: a real PostgreSQL server (PGlite where no server is installed) with a
 * migrated template database, the Neon WebSocket bridge, and both workers and
 * the web app built.
 * Each test file clones the template into a database of its own.
 */
export default async function setup(project: TestProject) {
  const outDir = mkdtempSync(join(tmpdir(), "plugin-platform-build-"));
  const bundles = buildWorkerBundles(outDir);
  const postgres = await startLocalPostgres();
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(`create database ${TEMPLATE_DATABASE}`);
  await admin.end();
  await applyMigrations(withDatabase(postgres.url, TEMPLATE_DATABASE));
  const bridge = await startNeonBridge();

  project.provide("postgresUrl", postgres.url);
  project.provide("postgresKind", postgres.kind);
  project.provide("bridgeAddress", bridge.address);
  project.provide("apiBundle", bundles.api);
  project.provide("pluginsBundle", bundles.plugins);
  project.provide("webApp", bundles.webApp);

  return async () => {
    await bridge.stop();
    await postgres.stop();
    rmSync(outDir, { recursive: true, force: true });
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
