import { describe, expect, it } from "vitest";
import { addressesRefusal, nonPublicRange } from "./outbound-addresses";

describe("nonPublicRange", () => {
  it("passes public unicast addresses, v4 and v6", () => {
    for (const address of ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.216.34"]) {
      expect(nonPublicRange(address), address).toBeNull();
    }
  });

  it("names the range of loopback, private, link-local, metadata, shared and reserved addresses", () => {
    const ranges: Record<string, string> = {
      "127.0.0.1": "loopback",
      "10.1.2.3": "private",
      "172.16.0.1": "private",
      "192.168.0.1": "private",
      "169.254.169.254": "linkLocal",
      "100.100.100.200": "carrierGradeNat",
      "0.0.0.0": "unspecified",
      "224.0.0.1": "multicast",
      "255.255.255.255": "broadcast",
      "192.0.2.1": "reserved",
      "::1": "loopback",
      "::": "unspecified",
      "fe80::1": "linkLocal",
      "fd00:ec2::254": "uniqueLocal",
      "::ffff:127.0.0.1": "loopback",
      "::ffff:10.0.0.1": "private",
      "64:ff9b::a00:1": "rfc6052",
      "2002:7f00:1::": "6to4",
    };
    for (const [address, range] of Object.entries(ranges)) expect(nonPublicRange(address), address).toBe(range);
  });

  it("refuses what is not an address at all", () => {
    expect(nonPublicRange("localhost")).toBe("not an address");
    expect(nonPublicRange("")).toBe("not an address");
  });
});

describe("addressesRefusal", () => {
  it("refuses a name when any of its addresses is not public, naming it", () => {
    expect(addressesRefusal("a.example", ["93.184.216.34", "10.0.0.1"])).toBe(
      "a.example resolves to 10.0.0.1 (private), which plugins never reach",
    );
    expect(addressesRefusal("a.example", ["93.184.216.34", "2606:4700:4700::1111"])).toBeNull();
  });

  it("refuses a name that resolves to nothing", () => {
    expect(addressesRefusal("gone.example", [])).toBe("gone.example resolves to no address");
  });
});
