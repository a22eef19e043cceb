import { existsSync, readFileSync } from "node:fs";
import { integerVar } from "@plugins/runtime";
import { roles } from "@plugins/schema";
import { decodeJwt } from "jose";
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, tokenTimeProblem } from "../workers/api/src/token-lifetime";
import { readCommandLine, refuseUsage } from "./cli/command-line";
import { DEV_JWT_SECRET, signDevToken } from "./local-stack/dev-token";
import { ROOT } from "./local-stack/worker-bundles";

const HELP = `Usage: pnpm token --sub <user> [--role <role>] [--tenant <tenant>] [--email <email>] [--expires <span>]

Prints a bearer token (HS256 JWT) that the local stack started by \`pnpm dev\` accepts.

Options:
  --sub <user>       subject, the user id (required)
  --role <role>      ${roles.filter((role) => role !== "guest").join(" | ")}   (default: viewer)
  --tenant <tenant>  tenant the user belongs to
  --email <email>    e-mail claim
  --expires <span>   lifetime such as 30m, 12h   (default: 12h; at most
                     JWT_MAX_LIFETIME_SECONDS, 24h unless set, as the platform refuses longer)
  -h, --help         show this help

The secret is JWT_SECRET from the environment, else from .dev.vars, else the built-in
development secret; JWT_MAX_LIFETIME_SECONDS is read the same way. Example:
  curl -H "authorization: Bearer $(pnpm -s token --sub alice --role admin --tenant acme)" ...
`;

const command = {
  name: "pnpm token",
  help: HELP,
  options: {
    sub: { type: "string" },
    role: { type: "string", default: "viewer" },
    tenant: { type: "string" },
    email: { type: "string" },
    expires: { type: "string", default: "12h" },
  },
} as const;
const values = readCommandLine(command);
if (!values.sub) refuseUsage(command, "--sub is required");
if (!roles.includes(values.role as (typeof roles)[number]) || values.role === "guest") {
  refuseUsage(command, `--role must be one of admin, editor, viewer (got '${values.role}')`);
}

/** A variable as the local API worker sees it: the environment, else .dev.vars. */
function devVar(name: string): string | undefined {
  if (process.env[name] !== undefined) return process.env[name];
  const file = `${ROOT}/.dev.vars`;
  if (!existsSync(file)) return undefined;
  return new RegExp(`^${name}=(.*)$`, "m").exec(readFileSync(file, "utf8"))?.[1]?.trim();
}

let token: string;
try {
  token = await signDevToken(
    { sub: values.sub, role: values.role, tenant: values.tenant, email: values.email },
    { secret: devVar("JWT_SECRET") ?? DEV_JWT_SECRET, expiresAt: values.expires },
  );
} catch {
  refuseUsage(command, `--expires ${values.expires} is not a time span such as 30m or 12h`);
}
// The platform refuses a token that lives too long: say so now rather than print one it will refuse.
// Read by the API worker's own rule (workers/api/src/config.ts), so a value it refuses is refused here too.
const lifetime = integerVar(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS).safeParse(devVar("JWT_MAX_LIFETIME_SECONDS"));
if (!lifetime.success) refuseUsage(command, `JWT_MAX_LIFETIME_SECONDS ${lifetime.error.issues[0]?.message}`);
const maxLifetime = lifetime.data;
const { iat, exp } = decodeJwt(token);
const problem = tokenTimeProblem({ iat, exp: exp ?? 0 }, maxLifetime);
if (problem)
  refuseUsage(command, `--expires ${values.expires}: the token ${problem}; use --expires ${maxLifetime}s or less`);
process.stdout.write(`${token}\n`);
