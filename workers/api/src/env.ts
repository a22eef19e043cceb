import type { EngineCallFacts, Grant, Identity } from "@plugins/schema";
import type { Context } from "hono";
import { readConfig } from "./config";

export interface Variables {
  requestId: string;
  /** The verified caller; a guest when the request carried no bearer token. */
  identity: Identity;
  /** What a publish token allows, when the bearer was one. */
  grant?: Grant;
  /** Which plugin answered, on a call to an instance (see callPlugins): logged with the request. */
  engineCall?: EngineCallFacts;
}

/** `Env` is generated from wrangler.toml (worker-configuration.d.ts); its vars are read through config.ts. */
export type AppEnv = { Bindings: Env; Variables: Variables };

/** The origin bundle URLs are published under: PUBLIC_BASE_URL, else the request's own. */
export function publicOrigin(c: Context<AppEnv>): string {
  return readConfig(c.env).publicBaseUrl ?? new URL(c.req.url).origin;
}
