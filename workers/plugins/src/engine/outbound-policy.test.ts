import { describe, expect, it } from "vitest";
import { outboundRefusal } from "./outbound-policy";

const policy = { hosts: ["api.example.com", "*.files.example.com", "localhost:8787"], privateHosts: [] };
const refusal = (url: string, privateHosts: string[] = []) =>
  outboundRefusal({ ...policy, privateHosts }, new URL(url));

describe("outboundRefusal", () => {
  it("lets declared hosts through, on the default ports or the declared one", () => {
    expect(refusal("https://api.example.com/v1")).toBeNull();
    expect(refusal("http://api.example.com:80/v1")).toBeNull();
    expect(refusal("https://a.b.files.example.com/x")).toBeNull();
  });

  it("refuses hosts the manifest does not declare, naming the host", () => {
    expect(refusal("https://evil.example.net/")).toContain("evil.example.net is not among the hosts");
    expect(refusal("https://api.example.com:8443/")).toContain("api.example.com:8443 is not among");
    expect(refusal("https://files.example.com/")).toContain("is not among");
  });

  it("refuses every IP address, however it is written", () => {
    for (const url of [
      "http://127.0.0.1/",
      "http://169.254.169.254/latest/meta-data",
      "http://10.0.0.1/",
      "http://2130706433/",
      "http://0x7f.1/",
      "http://017700000001/",
      "http://[::1]/",
      "http://[::ffff:127.0.0.1]/",
      "http://[fd00::1]/",
      "https://8.8.8.8/",
    ]) {
      expect(refusal(url), url).toMatch(/is an IP address/);
    }
  });

  it("refuses names of loopback and internal addresses even when declared", () => {
    expect(refusal("http://localhost:8787/")).toMatch(/loopback/);
    expect(refusal("http://api.localhost/")).toMatch(/loopback/);
    expect(refusal("http://metadata.google.internal/")).toMatch(/loopback/);
    expect(refusal("http://printer.local/")).toMatch(/loopback/);
  });

  it("lets a configured private host through only if the manifest declares it too", () => {
    expect(refusal("http://localhost:8787/", ["localhost:8787"])).toBeNull();
    expect(refusal("http://localhost:9999/", ["localhost:9999"])).toContain("not among the hosts");
    expect(refusal("http://127.0.0.1:8787/", ["localhost:8787"])).toMatch(/IP address/);
  });

  it("refuses schemes other than http and https", () => {
    expect(refusal("ftp://api.example.com/")).toContain("ftp: is not allowed");
  });
});
