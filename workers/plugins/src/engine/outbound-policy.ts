import { hostAllowed } from "@plugins/schema";

/*
 * What a plugin's `fetch()` may reach. Every request of a loaded isolate comes to the
 * outbound gateway (its `globalOutbound`), which asks this before making the call itself.
 */

export interface OutboundPolicy {
  /** The manifest's `permissions.network.hosts`. */
  hosts: readonly string[];
  /** OUTBOUND_PRIVATE_HOSTS: `host:port` pairs reachable although private (local development and tests only). */
  privateHosts: readonly string[];
}

/**
 * Names that never lead to the public internet: loopback (RFC 6761 `localhost`), link-local
 * multicast DNS, and the names clouds give their metadata and internal services.
 */
const PRIVATE_NAME = /(^|\.)(localhost|local|internal|intranet|lan|home\.arpa)$/;

/** Whether a URL's hostname is an IP literal (the URL parser has already turned `2130706433` or `0x7f.1` into dotted form). */
function isAddress(hostname: string): boolean {
  return hostname.startsWith("[") || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname);
}

/** Why the plugin may not make this request, or null when it may. */
export function outboundRefusal(policy: OutboundPolicy, url: URL): string | null {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `${url.protocol} is not allowed: plugins reach the network over http and https only`;
  }
  const host = url.host.toLowerCase();
  if (policy.privateHosts.includes(host)) return hostAllowed(policy.hosts, host) ? null : undeclared(host);
  if (isAddress(url.hostname)) {
    return `${url.hostname} is an IP address: plugins reach hosts by the names their manifest declares, never an address`;
  }
  if (PRIVATE_NAME.test(url.hostname.toLowerCase())) {
    return `${url.hostname} names a loopback, link-local or internal address, which plugins never reach`;
  }
  return hostAllowed(policy.hosts, host) ? null : undeclared(host);
}

function undeclared(host: string): string {
  return `${host} is not among the hosts this plugin declares (permissions.network.hosts)`;
}
