import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { roles } from "@plugins/schema";
import { DEV_JWT_SECRET, signDevToken } from "./local-stack/dev-token";
import { ROOT } from "./local-stack/worker-bundles";

const HELP = `Usage: pnpm token --sub <user> [--role <role>] [--tenant <tenant>] [--email <email>] [--expires <span>]

Prints a bearer token (HS256 JWT) that the local stack started by \`pnpm dev\` accepts.

Options:
  --sub <user>       subject, the user id (required)
  --role <role>      ${roles.filter((role) => role !== "guest").join(" | ")}   (default: viewer)
  --tenant <tenant>  tenant the user belongs to
  --email <email>    e-mail claim
  --expires <span>   lifetime such as 30m, 12h, 7d   (default: 12h)
  -h, --help         show this help

The secret is JWT_SECRET from the environment, else from .dev.vars, else the built-in
development secret. Example:
  curl -H "authorization: Bearer $(pnpm -s token --sub alice --role admin --tenant acme)" ...
`;

const { values } = parseArgs({
  options: {
    sub: { type: "string" },
    role: { type: "string", default: "viewer" },
    tenant: { type: "string" },
    email: { type: "string" },
    expires: { type: "string", default: "12h" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (!values.sub) {
  process.stderr.write(`--sub is required.\n\n${HELP}`);
  process.exit(2);
}
if (!roles.includes(values.role as (typeof roles)[number]) || values.role === "guest") {
  process.stderr.write(`--role must be one of admin, editor, viewer (got '${values.role}').\n`);
  process.exit(2);
}

function secretFromDevVars(): string | undefined {
  const file = `${ROOT}/.dev.vars`;
  if (!existsSync(file)) return undefined;
  return /^JWT_SECRET=(.*)$/m.exec(readFileSync(file, "utf8"))?.[1]?.trim();
}

const token = await signDevToken(
  { sub: values.sub, role: values.role, tenant: values.tenant, email: values.email },
  { secret: process.env.JWT_SECRET ?? secretFromDevVars() ?? DEV_JWT_SECRET, expiresAt: values.expires },
);
process.stdout.write(`${token}\n`);
