import { generateWorkerTypes, typesFile, WORKER_TYPES } from "./worker-types";

// `pnpm types`: after a change to a wrangler.toml or a secrets.env. CI fails while a committed file is stale.
for (const worker of WORKER_TYPES) {
  generateWorkerTypes(worker);
  console.info(`${typesFile(worker)}: the ${worker.name} worker's Env`);
}
