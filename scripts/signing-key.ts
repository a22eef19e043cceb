import { readCommandLine, refuseUsage } from "./cli/command-line";

const HELP = `Usage: pnpm signing-key --keyid <id> [--created <time>] [--expires <time>] [--add-to <json>]

Prints a new Ed25519 signing key as the plugins worker's SIGNING_KEYS secret holds it: a
JSON array. With --add-to, the array given (the secret's current value) with the new key
appended, for a rotation; put the result with
  wrangler secret put SIGNING_KEYS -c workers/plugins/wrangler.toml

Options:
  --keyid <id>      the key's id, shown in every signature it makes (required), e.g. 2027-01
  --created <time>  ISO time from which it signs new versions (default: now); listed at
                    GET /api/keys before then, so verifiers hold it before its first signature
  --expires <time>  ISO time after which it is no longer listed and what it signed no
                    longer verifies (default: none); sign again before then (README "Signatures")
  --add-to <json>   the current SIGNING_KEYS value to extend
  -h, --help        show this help
`;

const command = {
  name: "pnpm signing-key",
  help: HELP,
  options: {
    keyid: { type: "string" },
    created: { type: "string" },
    expires: { type: "string" },
    "add-to": { type: "string" },
  },
} as const;
const values = readCommandLine(command);
if (!values.keyid || !/^[A-Za-z0-9._-]{1,64}$/.test(values.keyid)) {
  refuseUsage(command, "--keyid is required: 1 to 64 letters, digits, '.', '_' or '-'");
}
const isoTime = (name: string, text: string | undefined) => {
  if (text === undefined) return undefined;
  const time = Date.parse(text);
  if (Number.isNaN(time)) refuseUsage(command, `--${name} ${text} is not an ISO time such as 2027-01-01T00:00:00Z`);
  return new Date(time).toISOString();
};
const created = isoTime("created", values.created) ?? new Date().toISOString();
const expires = isoTime("expires", values.expires) ?? null;
if (expires !== null && expires <= created) refuseUsage(command, "--expires must come after --created");

let existing: unknown[] = [];
if (values["add-to"] !== undefined) {
  try {
    const parsed: unknown = JSON.parse(values["add-to"]);
    if (!Array.isArray(parsed)) throw new Error("not an array");
    existing = parsed;
  } catch {
    refuseUsage(command, "--add-to must be the JSON array SIGNING_KEYS holds");
  }
  if (existing.some((key) => (key as { keyid?: unknown }).keyid === values.keyid)) {
    refuseUsage(command, `--add-to already has a key '${values.keyid}'`);
  }
}

const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
const { x, d } = await crypto.subtle.exportKey("jwk", pair.privateKey);
const key = { keyid: values.keyid, created, expires, jwk: { kty: "OKP", crv: "Ed25519", x, d } };
process.stdout.write(`${JSON.stringify([...existing, key])}\n`);
