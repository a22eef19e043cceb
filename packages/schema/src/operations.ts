/*
 * Calls to an instance's server-side handler (the plugin engine), as the gateway forwards
 * them to the plugins worker and the plugins worker hands them to the plugin.
 */

/**
 * The request headers a plugin's handler sees: content negotiation and conditionals. Never
 * credentials, cookies or the caller's address: the verified caller reaches the plugin as
 * data (`env.CALLER`), and both workers drop every other header.
 */
export const PLUGIN_REQUEST_HEADERS = [
  "accept",
  "accept-language",
  "content-type",
  "content-language",
  "if-match",
  "if-none-match",
  "if-modified-since",
  "if-unmodified-since",
  "last-event-id",
  "range",
  "user-agent",
] as const;

/** Set by the gateway on the seed's URL shapes (`/api/plugins/sources/…`): the kind the instance must be. */
export const EXPECTED_KIND_HEADER = "x-internal-plugin-kind";

/**
 * Set by the plugins worker on an instance's answer, read and removed by the gateway: which
 * plugin and version answered, JSON, so the gateway's request line (one per call) says it
 * and the plugins worker writes none of its own for calls that answered.
 */
export const ENGINE_CALL_HEADER = "x-internal-engine-call";
export interface EngineCallFacts {
  pluginId: string;
  version: string;
  instanceId: string;
}

/**
 * The URL shapes of the service this platform replaces: `/api/plugins/<collection>/:instanceId/<operation>`
 * reaches the operation `/<operation>` of an instance of that kind.
 */
export const KIND_OPERATIONS = {
  sources: { kind: "source", operations: ["documents", "search", "sync"] },
  agents: { kind: "agent", operations: ["chat", "functions"] },
} as const;

/** `GET /api/plugins/registry/<collection>`: the installable plugins of a kind. */
export const KIND_COLLECTIONS = { sources: "source", agents: "agent", integrations: "integration" } as const;
