import { describe, expect, it } from "vitest";
import { describeIssues } from "./issues";
import { hostAllowed, outboundHostSchema } from "./outbound-hosts";

function problemOf(host: string): string | null {
  const parsed = outboundHostSchema.safeParse(host);
  return parsed.success ? null : describeIssues(parsed.error.issues);
}

describe("outboundHostSchema", () => {
  it.each([
    "api.dropbox.com",
    "*.googleapis.com",
    "localhost:8787",
    "localhost",
    "xn--bcher-kva.example",
    "a-b.example.com:65535",
    "*.api.example.com:8443",
    "host1.example",
  ])("accepts %j", (host) => {
    expect(problemOf(host)).toBeNull();
  });

  it.each([
    ["127.0.0.1", "IP addresses are not allowed"],
    ["169.254.169.254:80", "IP addresses are not allowed"],
    ["10.0.0.1:8080", "IP addresses are not allowed"],
    ["2130706433", "IP addresses are not allowed"],
    ["0x7f.1", "IP addresses are not allowed"],
    ["::1", "IP addresses are not allowed"],
    ["[::1]", "IP addresses are not allowed"],
    ["[::1]:8080", "IP addresses are not allowed"],
    ["fe80::1", "IP addresses are not allowed"],
    ["https://api.example.com", "without a scheme"],
    ["api.example.com/v1", "without a path"],
    ["API.example.com", "must be lowercase"],
    ["api.example.com:0", "port must be a number from 1 to 65535"],
    ["api.example.com:65536", "port must be a number from 1 to 65535"],
    ["api.example.com:080", "port must be a number from 1 to 65535"],
    ["api.example.com:", "port must be a number from 1 to 65535"],
    ["api.example.com:443", "must leave out the port 443"],
    ["api.example.com:80", "must leave out the port 80"],
    ["api.*.example.com", "wildcard only as its leftmost label"],
    ["*api.example.com", "wildcard only as its leftmost label"],
    ["*.*.example.com", "wildcard only as its leftmost label"],
    ["*", "wildcard only as its leftmost label"],
    ["*.com", "before a name of two labels or more"],
    ["", "must be a DNS name"],
    ["example.com.", "must be a DNS name"],
    ["-example.com", "must be a DNS name"],
    ["exa_mple.com", "must be a DNS name"],
    ["bücher.example", "must be a DNS name"],
    ["user@example.com", "must be a DNS name"],
    [`${"a".repeat(64)}.com`, "must be a DNS name"],
  ])("refuses %j (%s)", (host, problem) => {
    expect(problemOf(host)).toContain(problem);
  });
});

describe("hostAllowed", () => {
  const hosts = ["api.dropbox.com", "*.googleapis.com", "localhost:8787"];

  it.each([
    ["api.dropbox.com", "a declared host, at its scheme's default port"],
    ["api.dropbox.com:443", "a declared host without a port, at 443"],
    ["api.dropbox.com:80", "a declared host without a port, at 80"],
    ["API.Dropbox.com", "case aside"],
    ["www.googleapis.com", "one label under a wildcard"],
    ["a.b.googleapis.com", "several labels under a wildcard"],
    ["localhost:8787", "a declared host at its declared port"],
  ])("allows %j: %s", (host) => {
    expect(hostAllowed(hosts, host)).toBe(true);
  });

  it.each([
    ["api.dropbox.com:8080", "a declared host without a port, at another port"],
    ["localhost", "a host declared with a port, at a default port"],
    ["localhost:8788", "a host declared with a port, at another port"],
    ["googleapis.com", "the name a wildcard stands in front of"],
    ["evilgoogleapis.com", "a name that only ends with the wildcard's name"],
    ["googleapis.com.evil.example", "a name that starts with it"],
    ["dropbox.com", "the parent of a declared host"],
    ["x.api.dropbox.com", "a subdomain of a host declared without a wildcard"],
    ["api.dropbox.com.", "a declared host with a trailing dot"],
    ["127.0.0.1", "an address"],
    ["[::1]:8787", "an IPv6 address"],
    ["api.dropbox.com:99999", "a port that is not one"],
    ["", "nothing"],
  ])("refuses %j: %s", (host) => {
    expect(hostAllowed(hosts, host)).toBe(false);
  });

  it("refuses everything when no host is declared", () => {
    expect(hostAllowed([], "api.dropbox.com")).toBe(false);
  });
});
