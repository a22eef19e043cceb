import { z } from "zod";

/*
 * The hosts a server-side plugin may call, as its manifest declares them
 * (`permissions.network.hosts`), and the check the outbound gateway makes on every request.
 *
 * A declared host is a lowercase DNS name, or `*.` and one: the wildcard stands for one or
 * more labels in front of the name (`*.example.com` allows `a.example.com` and
 * `a.b.example.com`, not `example.com`). Without a port it allows the default ports 80 and
 * 443; with one (`localhost:8787`) exactly that port. IP addresses are never declared: the
 * gateway refuses private and loopback addresses whatever the manifest says, and a public
 * address is better named by its host.
 */

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A last label the URL parser reads as a number makes the whole name an IPv4 address (`0x7f.1`, `2130706433`). */
const NUMERIC_LABEL = /^(?:\d+|0x[0-9a-f]*)$/;
const WILDCARD = "*.";
const DEFAULT_PORTS = [80, 443];
const MAX_NAME_LENGTH = 253;

/** A port as written after the colon of a host, or null when it is not one (no leading zero, 1–65535). */
function readPort(text: string): number | null {
  if (!/^[1-9]\d{0,4}$/.test(text)) return null;
  const port = Number(text);
  return port <= 65535 ? port : null;
}

/** Why a declared host cannot be allowed, or null when it can. */
function declaredHostProblem(host: string): string | null {
  if (host.includes("://")) {
    return "must be a host name without a scheme (api.example.com, not https://api.example.com)";
  }
  if (host.includes("/")) return "must be a host name without a path";
  if (host.includes("[") || host.split(":").length > 2) return "must be a host name; IP addresses are not allowed";
  // Refused rather than lowercased: the stored manifest says what the gateway compares.
  if (/[A-Z]/.test(host)) return "must be lowercase";
  const [name = "", portText] = host.split(":");
  const port = portText === undefined ? null : readPort(portText);
  if (portText !== undefined && port === null) return "port must be a number from 1 to 65535";
  const wildcard = name.startsWith(WILDCARD);
  const base = wildcard ? name.slice(WILDCARD.length) : name;
  if (base.includes("*")) return "may have a wildcard only as its leftmost label (*.example.com)";
  const labels = base.split(".");
  if (base.length > MAX_NAME_LENGTH || !labels.every((label) => LABEL.test(label))) {
    return "must be a DNS name: labels of a-z, 0-9 and '-', joined by dots";
  }
  if (NUMERIC_LABEL.test(labels.at(-1) ?? "")) return "must be a host name; IP addresses are not allowed";
  if (wildcard && labels.length < 2) {
    return "may put a wildcard only before a name of two labels or more (*.example.com)";
  }
  // Refused, not ignored: `example.com:443` would read as "443 only", which is not what it grants.
  if (port !== null && DEFAULT_PORTS.includes(port)) {
    return `must leave out the port ${port}: a host without a port allows 80 and 443`;
  }
  return null;
}

/** One entry of `permissions.network.hosts`. */
export const outboundHostSchema = z
  .string()
  // A longest name, its wildcard and ":65535".
  .max(MAX_NAME_LENGTH + WILDCARD.length + 6)
  .superRefine((host, ctx) => {
    const problem = declaredHostProblem(host);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** `hostname[:port]` split, or null when the port is not a port. */
function splitHost(host: string): { name: string; port: number | null } | null {
  const colon = host.lastIndexOf(":");
  if (colon === -1) return { name: host, port: null };
  const port = readPort(host.slice(colon + 1));
  return port === null ? null : { name: host.slice(0, colon), port };
}

/**
 * Whether a request to `host` (a URL's `host`: `hostname[:port]`, the port left out when it
 * is the scheme's default) is allowed by the declared hosts. Anything that does not read as
 * a host is refused.
 */
export function hostAllowed(hosts: readonly string[], host: string): boolean {
  const requested = splitHost(host.toLowerCase());
  if (requested === null || requested.name === "") return false;
  return hosts.some((declaredHost) => {
    const declared = splitHost(declaredHost);
    if (declared === null) return false;
    const portAllowed =
      declared.port === null
        ? requested.port === null || DEFAULT_PORTS.includes(requested.port)
        : requested.port === declared.port;
    if (!portAllowed) return false;
    if (!declared.name.startsWith(WILDCARD)) return requested.name === declared.name;
    // ".example.com": what a name the wildcard allows ends with, after one label or more.
    const suffix = declared.name.slice(WILDCARD.length - 1);
    return requested.name.length > suffix.length && requested.name.endsWith(suffix);
  });
}
