import { parseArgs } from "node:util";
import { applyMigrations, MIGRATIONS_FOLDER } from "./local-stack/migrate";

const HELP = `Usage: pnpm db:migrate

Applies the SQL migrations in drizzle/ that the database at DATABASE_URL has not seen yet.
Safe to run repeatedly. Works with Neon or any PostgreSQL server.

Environment:
  DATABASE_URL   postgres://user:password@host:port/database   (required)

Options:
  -h, --help     show this help
`;

const { values } = parseArgs({ options: { help: { type: "boolean", short: "h" } } });
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write(`DATABASE_URL is not set.\n\n${HELP}`);
  process.exit(2);
}
const target = new URL(url);
console.info(`Applying migrations from ${MIGRATIONS_FOLDER} to ${target.hostname}${target.pathname} ...`);
try {
  await applyMigrations(url);
  console.info("Migrations are up to date.");
} catch (error) {
  console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
