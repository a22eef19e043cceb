import { describe, expect, it } from "vitest";
import { configRefusal } from "../../../test/config-refusal";
import { readConfig } from "./config";

const REQUIRED = { DATABASE_URL: "postgres://user:db-password@db.internal/plugins", INTERNAL_TOKEN_SECRET: "internal" };

/** A fresh env object each time: readConfig caches per object. */
const env = (vars: Record<string, unknown> = {}) => ({ ...REQUIRED, ...vars }) as unknown as Env;

const PUBLIC_ONLY_KEY = {
  keyid: "retired-2025",
  created: "2025-01-01T00:00:00Z",
  expires: "2027-01-01T00:00:00Z",
  jwk: { kty: "OKP", crv: "Ed25519", x: "qMcuzi32ghopfsItDyvCoTtS2CGJ80DV_VMksIjPbtY" },
};

const refusal = (vars: Record<string, unknown>) => configRefusal(readConfig, env(vars));

describe("readConfig (plugins worker)", () => {
  it("applies the README's defaults to an env with only its required secrets", () => {
    expect(readConfig(env())).toEqual({
      database: {
        url: REQUIRED.DATABASE_URL,
        localProxy: undefined,
        timeouts: { connectMs: 3000, statementMs: 5000, deadlineMs: 6000 },
      },
      internalTokenSecret: "internal",
      configKeys: { current: undefined, retired: [] },
      signingKeys: [],
      exposeErrors: false,
      readModels: { failAfterCommit: false },
      engine: {
        deadlineMs: 10_000,
        hookDeadlineMs: 3000,
        failAfterHook: false,
        limits: { cpuMs: 50, subRequests: 50 },
        maxResponseBytes: 10 * 1024 * 1024,
        instanceTtlMs: 1000,
        metricsWindowMs: 1000,
        privateHosts: [],
        dnsResolver: "https://cloudflare-dns.com/dns-query",
      },
      updates: { pageSize: 50, failAfterPage: false },
      upload: {
        maxUploadBytes: 10 * 1024 * 1024,
        archive: {
          maxFileBytes: 5 * 1024 * 1024,
          maxTotalBytes: 25 * 1024 * 1024,
          maxFiles: 500,
          maxCompressionRatio: 50,
        },
      },
    });
  });

  it("reads every var as configured", () => {
    const config = readConfig(
      env({
        CONFIG_ENCRYPTION_KEY: "current-key",
        CONFIG_ENCRYPTION_RETIRED_KEYS: " old-a , old-b,,",
        DATABASE_CONNECT_TIMEOUT_MS: "1000",
        DATABASE_STATEMENT_TIMEOUT_MS: "0",
        DATABASE_DEADLINE_MS: "2000",
        NEON_LOCAL_PROXY: "127.0.0.1:5488",
        ENVIRONMENT: "development",
        MAX_BUNDLE_BYTES: "1024",
        MAX_FILE_BYTES: "100",
        MAX_TOTAL_BYTES: "200",
        MAX_FILES: "3",
        MAX_COMPRESSION_RATIO: "10",
        FAILPOINTS: "read-models-after-commit,engine-after-hook,update-pass-after-page",
        ENGINE_DEADLINE_MS: "4000",
        ENGINE_HOOK_DEADLINE_MS: "1500",
        ENGINE_CPU_MS: "20",
        ENGINE_SUBREQUESTS: "5",
        ENGINE_MAX_RESPONSE_BYTES: "65536",
        ENGINE_INSTANCE_TTL_MS: "0",
        ENGINE_METRICS_WINDOW_MS: "250",
        OUTBOUND_PRIVATE_HOSTS: "localhost:8787, localhost:9000",
        OUTBOUND_DNS_RESOLVER: "http://127.0.0.1:5353/dns-query",
        SIGNING_KEYS: JSON.stringify([PUBLIC_ONLY_KEY]),
        UPDATES_PAGE_SIZE: "2",
      }),
    );
    expect(config).toEqual({
      database: {
        url: REQUIRED.DATABASE_URL,
        localProxy: "127.0.0.1:5488",
        timeouts: { connectMs: 1000, statementMs: 0, deadlineMs: 2000 },
      },
      internalTokenSecret: "internal",
      configKeys: { current: "current-key", retired: ["old-a", "old-b"] },
      signingKeys: [PUBLIC_ONLY_KEY],
      exposeErrors: true,
      readModels: { failAfterCommit: true },
      engine: {
        deadlineMs: 4000,
        hookDeadlineMs: 1500,
        failAfterHook: true,
        limits: { cpuMs: 20, subRequests: 5 },
        maxResponseBytes: 65536,
        instanceTtlMs: 0,
        metricsWindowMs: 250,
        privateHosts: ["localhost:8787", "localhost:9000"],
        dnsResolver: "http://127.0.0.1:5353/dns-query",
      },
      updates: { pageSize: 2, failAfterPage: true },
      upload: {
        maxUploadBytes: 1024,
        archive: { maxFileBytes: 100, maxTotalBytes: 200, maxFiles: 3, maxCompressionRatio: 10 },
      },
    });
  });

  it("refuses an unknown failpoint, and any failpoint in production", () => {
    expect(() => readConfig(env({ FAILPOINTS: "no-such-fault" }))).toThrow(
      /FAILPOINTS.*unknown failpoint no-such-fault/,
    );
    expect(() => readConfig(env({ ENVIRONMENT: "production", FAILPOINTS: "read-models-after-commit" }))).toThrow(
      /FAILPOINTS.*never in production/,
    );
  });

  it("refuses a hook deadline at or past the database deadline, private outbound hosts or a plain-http resolver in production", () => {
    expect(refusal({ ENGINE_HOOK_DEADLINE_MS: "6000" })).toBe(
      "ENGINE_HOOK_DEADLINE_MS must be below DATABASE_DEADLINE_MS (6000): a hook runs inside the move's transaction",
    );
    expect(refusal({ ENVIRONMENT: "production", OUTBOUND_PRIVATE_HOSTS: "localhost:8787" })).toBe(
      "OUTBOUND_PRIVATE_HOSTS private hosts are for local development and tests, never in production",
    );
    expect(refusal({ ENVIRONMENT: "production", OUTBOUND_DNS_RESOLVER: "http://resolver.example/dns-query" })).toBe(
      "OUTBOUND_DNS_RESOLVER must be https in production: its answers decide what plugins may reach",
    );
    expect(refusal({ SIGNING_KEYS: "not json" })).toBe(
      "SIGNING_KEYS must be a JSON array of keys (see pnpm signing-key)",
    );
    expect(
      refusal({ SIGNING_KEYS: '[{"keyid":"k","created":"2026-01-01T00:00:00Z","expires":null,"jwk":"d-secret"}]' }),
    ).toBe("SIGNING_KEYS [0].jwk: Invalid input: expected object, received string");
    expect(refusal({ OUTBOUND_DNS_RESOLVER: "dns.example" })).toContain(
      "OUTBOUND_DNS_RESOLVER must be an absolute http(s) URL",
    );
  });

  it("takes an empty CONFIG_ENCRYPTION_KEY as unset: secret fields cannot be stored then", () => {
    expect(readConfig(env({ CONFIG_ENCRYPTION_KEY: "" })).configKeys).toEqual({ current: undefined, retired: [] });
  });

  it.each([
    "MAX_BUNDLE_BYTES",
    "MAX_FILE_BYTES",
    "MAX_TOTAL_BYTES",
    "MAX_FILES",
    "MAX_COMPRESSION_RATIO",
    "DATABASE_CONNECT_TIMEOUT_MS",
    "DATABASE_DEADLINE_MS",
    "UPDATES_PAGE_SIZE",
  ])("refuses %s that is not a positive integer, naming the var", (name) => {
    expect(refusal({ [name]: "5x" })).toBe(`${name} must be a positive integer, got "5x"`);
    expect(refusal({ [name]: "0" })).toBe(`${name} must be a positive integer, got "0"`);
  });

  it("refuses a negative DATABASE_STATEMENT_TIMEOUT_MS (0 sends none)", () => {
    expect(refusal({ DATABASE_STATEMENT_TIMEOUT_MS: "-1" })).toBe(
      'DATABASE_STATEMENT_TIMEOUT_MS must be 0 or a positive integer, got "-1"',
    );
  });

  it("refuses an env without DATABASE_URL or INTERNAL_TOKEN_SECRET", () => {
    expect(refusal({ DATABASE_URL: undefined, INTERNAL_TOKEN_SECRET: "" })).toBe(
      "DATABASE_URL is not set; INTERNAL_TOKEN_SECRET is not set",
    );
  });

  it("never repeats a secret's value in its refusal", () => {
    const message = refusal({
      DATABASE_URL: { url: "postgres://db-password" },
      CONFIG_ENCRYPTION_KEY: ["key-value"],
      CONFIG_ENCRYPTION_RETIRED_KEYS: { keys: "retired-value" },
    });
    expect(message).toBe(
      "DATABASE_URL must be text; CONFIG_ENCRYPTION_KEY must be text; CONFIG_ENCRYPTION_RETIRED_KEYS must be a comma-separated list",
    );
    expect(message).not.toMatch(/db-password|key-value|retired-value/);
  });
});
