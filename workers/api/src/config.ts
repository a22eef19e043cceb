import {
  booleanVar,
  configReader,
  integerVar,
  listVar,
  optionalSecret,
  requiredSecret,
  textVar,
  urlVar,
} from "@plugins/runtime";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { DEFAULT_HOT_OBJECT_LIMITS } from "./cdn/hot-objects";
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS } from "./token-lifetime";

/**
 * The API worker's vars and secrets (README, "Configuration"), read and validated here and
 * nowhere else. Bindings (PLUGINS, the rate limiters) stay on `env`.
 */
const apiVars = z
  .object({
    JWT_SECRET: optionalSecret(),
    JWKS_URL: urlVar(),
    JWT_ISSUER: textVar(),
    JWT_AUDIENCE: textVar(),
    JWT_MAX_LIFETIME_SECONDS: integerVar(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS),
    INTERNAL_TOKEN_SECRET: requiredSecret(),
    PUBLIC_BASE_URL: urlVar(),
    CORS_ORIGINS: listVar(),
    MAX_UPLOAD_BYTES: integerVar(12 * 1024 * 1024),
    HOT_CACHE_MAX_BYTES: integerVar(DEFAULT_HOT_OBJECT_LIMITS.maxTotalBytes, { orZero: true }),
    // Longer than the plugins worker's DATABASE_DEADLINE_MS, so its own 503 normally arrives first.
    PLUGINS_TIMEOUT_MS: integerVar(8000),
    ENVIRONMENT: textVar(),
    TRUST_CF_CONNECTING_IP: booleanVar(true),
  })
  .transform((vars) => ({
    /** HS256 key for bearer tokens, when the issuer signs with a shared secret. */
    jwtSecret: vars.JWT_SECRET,
    /** Key set of the identity provider (RS256, ES256, EdDSA). */
    jwksUrl: vars.JWKS_URL,
    /** Required `iss` and `aud` of bearer tokens; unset checks none. */
    jwtIssuer: vars.JWT_ISSUER,
    jwtAudience: vars.JWT_AUDIENCE,
    /** Longest a bearer token may live, exp − iat in seconds: see token-lifetime.ts. */
    maxTokenLifetimeSeconds: vars.JWT_MAX_LIFETIME_SECONDS,
    /** Shared with the plugins worker; signs the identity minted per request. */
    internalTokenSecret: vars.INTERNAL_TOKEN_SECRET,
    /** Origin used in bundle URLs; unset, the request's own. */
    publicBaseUrl: vars.PUBLIC_BASE_URL,
    /** Browser origins allowed to call /api and /trpc. */
    corsOrigins: vars.CORS_ORIGINS,
    /** Largest accepted request body, in bytes. */
    maxUploadBytes: vars.MAX_UPLOAD_BYTES,
    /** Bytes of hot bundle files the isolate keeps in memory; 0 turns the cache off. */
    hotCacheMaxBytes: vars.HOT_CACHE_MAX_BYTES,
    /** How long the gateway waits for the plugins worker's answer before a 503, in ms. */
    pluginsTimeoutMs: vars.PLUGINS_TIMEOUT_MS,
    /** ENVIRONMENT "development" shows internal error messages in responses; anything else hides them. */
    exposeErrors: vars.ENVIRONMENT === "development",
    /**
     * The console's dev sign-in (routes/dev-sign-in.ts): only on a local stack, where the API
     * worker holds the HS256 secret tokens are signed with.
     */
    devSignIn: vars.ENVIRONMENT === "development" && vars.JWT_SECRET !== undefined,
    /** False where no Cloudflare edge sets CF-Connecting-IP (`pnpm dev`): see client-ip.ts. */
    trustCfConnectingIp: vars.TRUST_CF_CONNECTING_IP,
  }));

export type ApiConfig = z.output<typeof apiVars>;

/** The API worker's configuration, parsed once per isolate; throws a ConfigError naming every bad var. */
export const readConfig: (env: Env) => ApiConfig = configReader(apiVars);

/**
 * Early on every route, right after the request id: a misconfigured worker refuses every
 * request alike (errors.ts answers a ConfigError), not only those that read the bad var.
 */
export const requireValidConfig = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  readConfig(c.env);
  await next();
});
