import { readCommandLine, refuseUsage } from "./cli/command-line";
import { applyMigrations, MIGRATIONS_FOLDER } from "./local-stack/migrate";

const HELP = `Usage: pnpm db:migrate

Applies the SQL migrations in drizzle/ that the database at DATABASE_URL has not seen yet.
Safe to run repeatedly. Works with Neon or any PostgreSQL server.

Environment:
  DATABASE_URL   postgres://user:password@host:port/database   (required)

Options:
  -h, --help     show this help
`;

const command = { name: "pnpm db:migrate", help: HELP, options: {} };
readCommandLine(command);
const url = process.env.DATABASE_URL;
if (!url) refuseUsage(command, "DATABASE_URL is not set");
let target: URL;
try {
  target = new URL(url);
} catch {
  refuseUsage(command, "DATABASE_URL is not a URL such as postgres://user:password@host:5432/database");
}
console.info(`Applying migrations from ${MIGRATIONS_FOLDER} to ${target.hostname}${target.pathname} ...`);
try {
  await applyMigrations(url);
  console.info("Migrations are up to date.");
} catch (error) {
  console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
