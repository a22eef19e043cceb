import { type KeySet, keySetSchema } from "@plugins/schema";
import type { Hono } from "hono";
import type { AppEnv } from "../env";
import { ApiError, fromPluginsRoute } from "../errors";
import { callPlugins, PLUGINS_ORIGIN } from "../plugins-client";

/** How long a verifier may keep the key set: a new key is listed well before it signs (README "Signatures"). */
const KEY_SET_MAX_AGE_SECONDS = 300;

/**
 * `GET /api/keys`: the public keys versions are signed with, like npm's `/-/npm/v1/keys`
 * (`keyid`, `keytype`, `scheme`, `key` as base64 SPKI, `created`, `expires`). Public and
 * cacheable: it holds nothing secret.
 */
export function registerKeys(app: Hono<AppEnv>) {
  app.get("/api/keys", async (c) => {
    const response = await callPlugins(c, `${PLUGINS_ORIGIN}/keys`);
    if (!response.ok) throw await fromPluginsRoute(response);
    const keys = keySetSchema.safeParse(await response.json());
    if (!keys.success) throw new ApiError("SERVICE_UNAVAILABLE", "The key set cannot be read right now");
    return c.json(keys.data satisfies KeySet, 200, {
      "cache-control": `public, max-age=${KEY_SET_MAX_AGE_SECONDS}`,
    });
  });
}
