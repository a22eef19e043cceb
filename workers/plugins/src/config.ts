import { configReader, integerVar, listVar, optionalSecret, requiredSecret, textVar, urlVar } from "@plugins/runtime";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { DEFAULT_BUNDLE_LIMITS } from "./bundles/limits";
import type { DatabaseConfig } from "./lib/database";
import { readSigningKeys } from "./signatures/signing-keys";

/**
 * Faults a test may inject (FAILPOINTS): `read-models-after-commit` fails every read-model
 * publication after its commit; `engine-after-hook` fails the database write after every
 * lifecycle hook that let its move through, as an outage would; `update-pass-after-page` fails
 * the first delivery of every UPDATES message after its page committed, so the queue retries it.
 */
const FAILPOINTS = ["read-models-after-commit", "engine-after-hook", "update-pass-after-page"];

/**
 * The plugins worker's vars and secrets (README, "Configuration"), read and validated here
 * and nowhere else. Bindings (BUNDLES) stay on `env`.
 */
const pluginsVars = z
  .object({
    DATABASE_URL: requiredSecret(),
    INTERNAL_TOKEN_SECRET: requiredSecret(),
    CONFIG_ENCRYPTION_KEY: optionalSecret(),
    // A list of secrets: listVar's messages never quote a value.
    CONFIG_ENCRYPTION_RETIRED_KEYS: listVar(),
    DATABASE_CONNECT_TIMEOUT_MS: integerVar(3000),
    DATABASE_STATEMENT_TIMEOUT_MS: integerVar(5000, { orZero: true }),
    DATABASE_DEADLINE_MS: integerVar(6000),
    NEON_LOCAL_PROXY: textVar(),
    ENVIRONMENT: textVar(),
    MAX_BUNDLE_BYTES: integerVar(10 * 1024 * 1024),
    MAX_FILE_BYTES: integerVar(DEFAULT_BUNDLE_LIMITS.maxFileBytes),
    MAX_TOTAL_BYTES: integerVar(DEFAULT_BUNDLE_LIMITS.maxTotalBytes),
    MAX_FILES: integerVar(DEFAULT_BUNDLE_LIMITS.maxFiles),
    MAX_COMPRESSION_RATIO: integerVar(DEFAULT_BUNDLE_LIMITS.maxCompressionRatio),
    FAILPOINTS: listVar(),
    ENGINE_DEADLINE_MS: integerVar(10_000),
    ENGINE_HOOK_DEADLINE_MS: integerVar(3000),
    ENGINE_CPU_MS: integerVar(50),
    ENGINE_SUBREQUESTS: integerVar(50),
    ENGINE_MAX_RESPONSE_BYTES: integerVar(10 * 1024 * 1024),
    ENGINE_INSTANCE_TTL_MS: integerVar(1000, { orZero: true }),
    ENGINE_METRICS_WINDOW_MS: integerVar(1000, { orZero: true }),
    OUTBOUND_PRIVATE_HOSTS: listVar(),
    OUTBOUND_DNS_RESOLVER: urlVar(),
    SIGNING_KEYS: optionalSecret(),
    UPDATES_PAGE_SIZE: integerVar(50),
  })
  .superRefine((vars, ctx) => {
    const { problem } = readSigningKeys(vars.SIGNING_KEYS);
    if (problem) ctx.addIssue({ code: "custom", path: ["SIGNING_KEYS"], message: problem });
    const unknown = vars.FAILPOINTS.filter((name) => !FAILPOINTS.includes(name));
    if (unknown.length > 0) {
      ctx.addIssue({ code: "custom", path: ["FAILPOINTS"], message: `unknown failpoint ${unknown.join(", ")}` });
    }
    if (vars.FAILPOINTS.length > 0 && vars.ENVIRONMENT === "production") {
      ctx.addIssue({ code: "custom", path: ["FAILPOINTS"], message: "failpoints are for tests, never in production" });
    }
    // A hook runs inside the move's transaction, which must end within the request's database deadline.
    if (vars.ENGINE_HOOK_DEADLINE_MS >= vars.DATABASE_DEADLINE_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["ENGINE_HOOK_DEADLINE_MS"],
        message: `must be below DATABASE_DEADLINE_MS (${vars.DATABASE_DEADLINE_MS}): a hook runs inside the move's transaction`,
      });
    }
    if (vars.OUTBOUND_DNS_RESOLVER?.startsWith("http:") && vars.ENVIRONMENT === "production") {
      ctx.addIssue({
        code: "custom",
        path: ["OUTBOUND_DNS_RESOLVER"],
        message: "must be https in production: its answers decide what plugins may reach",
      });
    }
    if (vars.OUTBOUND_PRIVATE_HOSTS.length > 0 && vars.ENVIRONMENT === "production") {
      ctx.addIssue({
        code: "custom",
        path: ["OUTBOUND_PRIVATE_HOSTS"],
        message: "private hosts are for local development and tests, never in production",
      });
    }
  })
  .transform((vars) => ({
    database: {
      url: vars.DATABASE_URL,
      localProxy: vars.NEON_LOCAL_PROXY,
      timeouts: {
        connectMs: vars.DATABASE_CONNECT_TIMEOUT_MS,
        statementMs: vars.DATABASE_STATEMENT_TIMEOUT_MS,
        deadlineMs: vars.DATABASE_DEADLINE_MS,
      },
    } satisfies DatabaseConfig,
    /** Shared with the API worker; verifies the identity it mints per request. */
    internalTokenSecret: vars.INTERNAL_TOKEN_SECRET,
    /** The AES-GCM keys of secret config fields: installations/secrets.ts imports (and so checks) them. */
    configKeys: { current: vars.CONFIG_ENCRYPTION_KEY, retired: vars.CONFIG_ENCRYPTION_RETIRED_KEYS },
    /** ENVIRONMENT "development" shows internal error messages in responses; anything else hides them. */
    exposeErrors: vars.ENVIRONMENT === "development",
    /** The registry's Ed25519 keys: who signs new versions, what `GET /api/keys` lists (signatures/signing-keys.ts). */
    signingKeys: readSigningKeys(vars.SIGNING_KEYS).keys,
    readModels: { failAfterCommit: vars.FAILPOINTS.includes("read-models-after-commit") },
    engine: {
      /** Longest a plugin's request handler or hook may take, wall clock, before the host gives up (504). */
      deadlineMs: vars.ENGINE_DEADLINE_MS,
      /** The same for a lifecycle hook, which runs inside the move's database transaction. */
      hookDeadlineMs: vars.ENGINE_HOOK_DEADLINE_MS,
      failAfterHook: vars.FAILPOINTS.includes("engine-after-hook"),
      /** Per invocation, enforced by the Workers runtime in production (not by local workerd). */
      limits: { cpuMs: vars.ENGINE_CPU_MS, subRequests: vars.ENGINE_SUBREQUESTS },
      /** Largest response body a plugin may send; a longer one is cut. */
      maxResponseBytes: vars.ENGINE_MAX_RESPONSE_BYTES,
      /**
       * How long an isolate trusts an instance document it read before reading it again: its
       * own writes show at once, another isolate's (a deactivation, a block) within this.
       */
      instanceTtlMs: vars.ENGINE_INSTANCE_TTL_MS,
      /** How long a call's metrics sample may wait to be written with others (engine/call-records.ts). */
      metricsWindowMs: vars.ENGINE_METRICS_WINDOW_MS,
      /** `host:port` pairs a plugin may reach although they are private (a test's upstream on localhost). */
      privateHosts: vars.OUTBOUND_PRIVATE_HOSTS,
      /** The DNS-over-HTTPS (JSON) endpoint that tells the outbound gateway where a declared host name leads. */
      dnsResolver: vars.OUTBOUND_DNS_RESOLVER ?? "https://cloudflare-dns.com/dns-query",
    },
    updates: {
      /** Instances one page of an automatic-update pass settles, in one transaction (installations/update-fan-out.ts). */
      pageSize: vars.UPDATES_PAGE_SIZE,
      failAfterPage: vars.FAILPOINTS.includes("update-pass-after-page"),
    },
    upload: {
      /** Largest uploaded file (a JS bundle or an archive), in bytes. */
      maxUploadBytes: vars.MAX_BUNDLE_BYTES,
      archive: {
        maxFileBytes: vars.MAX_FILE_BYTES,
        maxTotalBytes: vars.MAX_TOTAL_BYTES,
        maxFiles: vars.MAX_FILES,
        maxCompressionRatio: vars.MAX_COMPRESSION_RATIO,
      },
    },
  }));

export type PluginsConfig = z.output<typeof pluginsVars>;

/** The plugins worker's configuration, parsed once per isolate; throws a ConfigError naming every bad var. */
export const readConfig: (env: Env) => PluginsConfig = configReader(pluginsVars);

/**
 * First on every route: a misconfigured worker refuses every request alike, bundle bytes
 * included, not only those that read the bad var. The ConfigError goes to the app's error
 * handler (internal/errors.ts), which logs it (it names the var, never a secret's value).
 */
export const requireValidConfig = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  readConfig(c.env);
  await next();
});
