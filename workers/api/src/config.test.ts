import { describe, expect, it } from "vitest";
import { configRefusal } from "../../../test/config-refusal";
import { readConfig } from "./config";

/** A fresh env object each time: readConfig caches per object. */
const env = (vars: Record<string, unknown> = {}) => ({ INTERNAL_TOKEN_SECRET: "internal", ...vars }) as unknown as Env;

const refusal = (vars: Record<string, unknown>) => configRefusal(readConfig, env(vars));

describe("readConfig (API worker)", () => {
  it("applies the README's defaults to an env with only its required secret", () => {
    expect(readConfig(env())).toEqual({
      jwtSecret: undefined,
      jwksUrl: undefined,
      jwtIssuer: undefined,
      jwtAudience: undefined,
      maxTokenLifetimeSeconds: 86_400,
      internalTokenSecret: "internal",
      publicBaseUrl: undefined,
      corsOrigins: [],
      maxUploadBytes: 12 * 1024 * 1024,
      hotCacheMaxBytes: 16 * 1024 * 1024,
      pluginsTimeoutMs: 8000,
      exposeErrors: false,
      devSignIn: false,
      trustCfConnectingIp: true,
    });
  });

  it("reads every var as configured", () => {
    const config = readConfig(
      env({
        JWT_SECRET: "hs256-key",
        JWKS_URL: "https://idp.example/.well-known/jwks.json",
        JWT_ISSUER: "https://idp.example/",
        JWT_AUDIENCE: "plugin-platform",
        JWT_MAX_LIFETIME_SECONDS: "3600",
        PUBLIC_BASE_URL: "https://plugins.example.com",
        CORS_ORIGINS: " https://a.example , ,https://b.example",
        MAX_UPLOAD_BYTES: "4096",
        HOT_CACHE_MAX_BYTES: "0",
        PLUGINS_TIMEOUT_MS: "9000",
        ENVIRONMENT: "development",
        TRUST_CF_CONNECTING_IP: "false",
      }),
    );
    expect(config).toEqual({
      jwtSecret: "hs256-key",
      jwksUrl: "https://idp.example/.well-known/jwks.json",
      jwtIssuer: "https://idp.example/",
      jwtAudience: "plugin-platform",
      maxTokenLifetimeSeconds: 3600,
      internalTokenSecret: "internal",
      publicBaseUrl: "https://plugins.example.com",
      corsOrigins: ["https://a.example", "https://b.example"],
      maxUploadBytes: 4096,
      hotCacheMaxBytes: 0,
      pluginsTimeoutMs: 9000,
      exposeErrors: true,
      devSignIn: true,
      trustCfConnectingIp: false,
    });
  });

  it('takes an empty var as unset, as wrangler.toml\'s `X = ""` means', () => {
    expect(
      readConfig(env({ JWT_SECRET: "", JWT_ISSUER: "", MAX_UPLOAD_BYTES: "", TRUST_CF_CONNECTING_IP: "" })),
    ).toEqual(readConfig(env()));
  });

  it("hides internal errors for any ENVIRONMENT but development", () => {
    expect(readConfig(env({ ENVIRONMENT: "production" })).exposeErrors).toBe(false);
    expect(readConfig(env({ ENVIRONMENT: "test" })).exposeErrors).toBe(false);
  });

  it("offers the dev sign-in only in development and with an HS256 secret to sign with", () => {
    expect(readConfig(env({ ENVIRONMENT: "development", JWT_SECRET: "hs256-key" })).devSignIn).toBe(true);
    expect(readConfig(env({ ENVIRONMENT: "development" })).devSignIn).toBe(false);
    expect(readConfig(env({ ENVIRONMENT: "production", JWT_SECRET: "hs256-key" })).devSignIn).toBe(false);
    expect(readConfig(env({ JWT_SECRET: "hs256-key" })).devSignIn).toBe(false);
  });

  it.each([
    ["JWT_MAX_LIFETIME_SECONDS", "a day", 'JWT_MAX_LIFETIME_SECONDS must be a positive integer, got "a day"'],
    ["JWT_MAX_LIFETIME_SECONDS", "0", 'JWT_MAX_LIFETIME_SECONDS must be a positive integer, got "0"'],
    ["MAX_UPLOAD_BYTES", "12MB", 'MAX_UPLOAD_BYTES must be a positive integer, got "12MB"'],
    ["MAX_UPLOAD_BYTES", "-1", 'MAX_UPLOAD_BYTES must be a positive integer, got "-1"'],
    ["HOT_CACHE_MAX_BYTES", "lots", 'HOT_CACHE_MAX_BYTES must be 0 or a positive integer, got "lots"'],
    ["PLUGINS_TIMEOUT_MS", "8s", 'PLUGINS_TIMEOUT_MS must be a positive integer, got "8s"'],
    ["TRUST_CF_CONNECTING_IP", "no", 'TRUST_CF_CONNECTING_IP must be "true" or "false", got "no"'],
    ["JWKS_URL", "not a url", 'JWKS_URL must be an absolute http(s) URL, got "not a url"'],
    [
      "PUBLIC_BASE_URL",
      "plugins.example.com",
      'PUBLIC_BASE_URL must be an absolute http(s) URL, got "plugins.example.com"',
    ],
  ])("refuses %s=%j, naming the var and what it must be", (name, value, message) => {
    expect(refusal({ [name]: value })).toBe(message);
  });

  it("refuses an env without INTERNAL_TOKEN_SECRET, and names every bad var at once", () => {
    expect(refusal({ INTERNAL_TOKEN_SECRET: undefined, MAX_UPLOAD_BYTES: "5x" })).toBe(
      'INTERNAL_TOKEN_SECRET is not set; MAX_UPLOAD_BYTES must be a positive integer, got "5x"',
    );
    expect(refusal({ INTERNAL_TOKEN_SECRET: "" })).toBe("INTERNAL_TOKEN_SECRET is not set");
  });

  it("never repeats a secret's value in its refusal", () => {
    const message = refusal({ INTERNAL_TOKEN_SECRET: { leaked: "internal-value" }, JWT_SECRET: ["jwt-value"] });
    expect(message).toBe("JWT_SECRET must be text; INTERNAL_TOKEN_SECRET must be text");
    expect(message).not.toMatch(/internal-value|jwt-value/);
  });

  it("parses an env object once: later calls get the same configuration", () => {
    const vars = { INTERNAL_TOKEN_SECRET: "internal", MAX_UPLOAD_BYTES: "4096" };
    const first = readConfig(vars as unknown as Env);
    vars.MAX_UPLOAD_BYTES = "5x";
    expect(readConfig(vars as unknown as Env)).toBe(first);
  });
});
