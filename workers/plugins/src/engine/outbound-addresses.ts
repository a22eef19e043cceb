import ipaddr from "ipaddr.js";
import { z } from "zod";

/*
 * Where a declared host name leads. A plugin may name only hosts, never addresses
 * (outbound-policy.ts), but a public name can point at a private address (DNS rebinding,
 * `127.0.0.1.example.net`-style names), so before the outbound gateway makes a call it
 * resolves the name over DNS-over-HTTPS (OUTBOUND_DNS_RESOLVER, the JSON form) and refuses
 * it if any address is not public unicast.
 */

/** Record types of a DNS answer (RFC 1035, RFC 3596). */
const RECORD_A = 1;
const RECORD_AAAA = 28;
/** Response codes (RFC 1035): NOERROR, NXDOMAIN. */
const NO_ERROR = 0;
const NO_SUCH_NAME = 3;

/** Longest a resolution is kept, whatever TTL its records carry; how long a name without addresses is; most names kept. */
const MAX_KEPT_SECONDS = 300;
const NO_ADDRESS_KEPT_SECONDS = 30;
const MOST_NAMES_KEPT = 1000;

const dnsAnswer = z.object({
  Status: z.number().int(),
  Answer: z
    .array(z.object({ type: z.number().int(), TTL: z.number().int().nonnegative(), data: z.string() }))
    .optional(),
});

/**
 * The range of `address` (ipaddr.js's names: loopback, private, linkLocal, uniqueLocal,
 * carrierGradeNat, …) when it is anything but public unicast, else null. An IPv4-mapped
 * IPv6 address is judged as the IPv4 address it carries.
 */
export function nonPublicRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return "not an address";
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  return range === "unicast" ? null : range;
}

/** Why no call to `hostname` may be made, from the addresses it resolves to; null when all are public. */
export function addressesRefusal(hostname: string, addresses: readonly string[]): string | null {
  if (addresses.length === 0) return `${hostname} resolves to no address`;
  for (const address of addresses) {
    const range = nonPublicRange(address);
    if (range) return `${hostname} resolves to ${address} (${range}), which plugins never reach`;
  }
  return null;
}

/** Why a resolution failed: the call is refused (fail closed). */
export class ResolutionFailed extends Error {}

const kept = new Map<string, { addresses: string[]; until: number }>();

/**
 * The A and AAAA addresses of `hostname`, asked of the DNS-over-HTTPS `resolver`, kept for
 * their records' TTL (at most five minutes) in this isolate.
 */
export async function resolveHost(resolver: string, hostname: string, now = Date.now()): Promise<string[]> {
  const known = kept.get(hostname);
  if (known && known.until > now) return known.addresses;
  const answers = await Promise.all([RECORD_A, RECORD_AAAA].map((type) => query(resolver, hostname, type)));
  const records = answers.flat();
  const addresses = records.map((record) => record.data);
  const ttl =
    records.length === 0 ? NO_ADDRESS_KEPT_SECONDS : Math.min(MAX_KEPT_SECONDS, ...records.map((record) => record.TTL));
  kept.delete(hostname);
  kept.set(hostname, { addresses, until: now + ttl * 1000 });
  if (kept.size > MOST_NAMES_KEPT) kept.delete(kept.keys().next().value ?? hostname);
  return addresses;
}

async function query(resolver: string, hostname: string, type: number) {
  const url = new URL(resolver);
  url.searchParams.set("name", hostname);
  url.searchParams.set("type", String(type));
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: "application/dns-json" } });
  } catch (error) {
    throw new ResolutionFailed(`${hostname} could not be resolved (${String(error)})`);
  }
  if (!response.ok)
    throw new ResolutionFailed(`${hostname} could not be resolved (the resolver answered ${response.status})`);
  const answer = dnsAnswer.safeParse(await response.json().catch(() => null));
  if (!answer.success)
    throw new ResolutionFailed(`${hostname} could not be resolved (the resolver's answer is not DNS JSON)`);
  if (answer.data.Status === NO_SUCH_NAME) return [];
  if (answer.data.Status !== NO_ERROR) {
    throw new ResolutionFailed(`${hostname} could not be resolved (DNS status ${answer.data.Status})`);
  }
  // CNAMEs come along in the answer; the addresses they lead to are its A and AAAA records.
  return (answer.data.Answer ?? []).filter((record) => record.type === type);
}
