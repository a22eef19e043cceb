import type { AppRouter } from "@plugins/plugins-worker/router";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { readCommandLine, refuseUsage } from "./cli/command-line";

const HELP = `Usage: pnpm signatures (--signed-by <keyid> | --unsigned) --token <admin token> [--registry <url>] [--page <n>]

Signs versions again with the key that signs now (SIGNING_KEYS), page by page, through
signatures.resign, until none is left: before a key expires, what it signed (--signed-by),
or, once, the versions published before signing existed (--unsigned). Their package
documents and tenant manifests carry the new signatures as each page commits, so it can be
stopped and run again. Rotation steps: README "Signatures".

Options:
  --signed-by <keyid>  re-sign the versions this key signed
  --unsigned           sign the versions that have no signature
  --token <token>      an admin's bearer token (default: $PLUGINS_ADMIN_TOKEN)
  --registry <url>     the platform's origin (default: $PLUGINS_REGISTRY, else http://127.0.0.1:8787)
  --page <n>           versions per page, 1 to 500 (default: 100)
  -h, --help           show this help
`;

const command = {
  name: "pnpm signatures",
  help: HELP,
  options: {
    "signed-by": { type: "string" },
    unsigned: { type: "boolean" },
    token: { type: "string" },
    registry: { type: "string" },
    page: { type: "string", default: "100" },
  },
} as const;
const values = readCommandLine(command);
const signedBy = values["signed-by"];
if ((signedBy === undefined) === !values.unsigned)
  refuseUsage(command, "name either --signed-by <keyid> or --unsigned");
const token = values.token ?? process.env.PLUGINS_ADMIN_TOKEN;
if (!token) refuseUsage(command, "--token (or PLUGINS_ADMIN_TOKEN) is required: an admin's bearer token");
const limit = Number(values.page);
if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
  refuseUsage(command, `--page must be a whole number from 1 to 500 (got '${values.page}')`);
}
const registry = (values.registry ?? process.env.PLUGINS_REGISTRY ?? "http://127.0.0.1:8787").replace(/\/+$/, "");

const api = createTRPCClient<AppRouter>({
  links: [httpLink({ url: `${registry}/trpc`, headers: { authorization: `Bearer ${token}` } })],
});
const which = signedBy === undefined ? { unsigned: true as const } : { signedBy };
const what = signedBy === undefined ? "unsigned versions" : `versions signed by '${signedBy}'`;

let total = 0;
let cursor: { pluginId: string; version: string } | undefined;
try {
  for (;;) {
    const page = await api.signatures.resign.mutate({ ...which, limit, ...(cursor ? { cursor } : {}) });
    total += page.signed;
    console.info(`signed ${page.signed} (${total} so far) with '${page.keyid}'`);
    if (!page.next) break;
    cursor = page.next;
  }
} catch (error) {
  const requestId =
    error instanceof TRPCClientError ? (error.data as { requestId?: string } | undefined)?.requestId : undefined;
  const message = error instanceof Error ? error.message : String(error);
  console.error(`pnpm signatures: ${message}${requestId ? ` (request ${requestId})` : ""}`);
  console.error(`${total} of the ${what} were signed again before that; run the same command to go on`);
  process.exit(1);
}
console.info(`done: ${total} ${what} signed again`);
