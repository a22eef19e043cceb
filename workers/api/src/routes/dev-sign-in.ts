import { describeIssues, identitySchema } from "@plugins/schema";
import type { Hono } from "hono";
import { z } from "zod";
import { signBearerToken } from "../bearer-tokens";
import { readConfig } from "../config";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { limitBody } from "../request-limits";

const devSignInSchema = z.strictObject({
  sub: identitySchema.shape.sub,
  tenant: identitySchema.shape.tenant.unwrap(),
  role: z.enum(["admin", "editor", "viewer"]),
});

/** As long as `pnpm token`'s default. */
const DEV_TOKEN_LIFETIME = "12h";

/**
 * The console's "dev sign-in": on a local stack only (ENVIRONMENT=development with JWT_SECRET),
 * the API signs a bearer token the way `pnpm token` does, so a newcomer needs no terminal to
 * try the console. Everywhere else both routes answer 404 like any unknown path: a deployed
 * worker, whose tokens come from an identity provider, never signs one.
 */
export function registerDevSignIn(app: Hono<AppEnv>) {
  app.get("/api/dev/session", (c) => {
    if (!readConfig(c.env).devSignIn) throw new ApiError("NOT_FOUND", `No route for GET ${c.req.path}`);
    c.header("cache-control", "no-store");
    return c.json({ available: true });
  });

  app.post("/api/dev/sign-in", limitBody, async (c) => {
    const config = readConfig(c.env);
    if (!config.devSignIn || !config.jwtSecret) throw new ApiError("NOT_FOUND", `No route for POST ${c.req.path}`);
    const body: unknown = await c.req.json().catch(() => {
      throw new ApiError("BAD_REQUEST", "The body is not valid JSON");
    });
    const claims = devSignInSchema.safeParse(body);
    if (!claims.success) throw new ApiError("BAD_REQUEST", describeIssues(claims.error.issues));
    const token = await signBearerToken(claims.data, {
      secret: config.jwtSecret,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      expiresAt: DEV_TOKEN_LIFETIME,
    });
    c.header("cache-control", "no-store");
    return c.json({ token });
  });
}
