import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./local-stack/worker-bundles";
import { freshWorkerTypes, typesFile, WORKER_TYPES } from "./worker-types";

describe("the committed worker-configuration.d.ts files", () => {
  it.each(WORKER_TYPES)(
    "$name: is what `pnpm types` generates from its wrangler.toml and secrets.env (run it after a change)",
    (worker) => {
      const committed = readFileSync(join(ROOT, typesFile(worker)), "utf8");
      expect(freshWorkerTypes(worker), `${typesFile(worker)} is stale: run \`pnpm types\``).toBe(committed);
    },
    60_000,
  );

  // Committed and packed: a value typed into it would be a secret in the repository.
  it.each(WORKER_TYPES)("$name: takes secret names from secrets.env, which holds no value", (worker) => {
    const lines = readFileSync(join(ROOT, worker.folder, worker.secrets), "utf8").split("\n");
    const assignments = lines.filter((line) => line.trim() !== "" && !line.trimStart().startsWith("#"));
    expect(assignments.length).toBeGreaterThan(0);
    for (const line of assignments) expect(line).toMatch(/^[A-Z][A-Z0-9_]*=$/);
  });
});
