import type { Caller, Json, LogLevel, PluginEnv, PluginFacts, StorageBinding } from "../src/module";

/**
 * Plain objects in the shapes the platform's bindings have (`env.STORAGE`, `env.LOG`), for
 * unit tests of the SDK's own logic: the real ones are the engine's, tested against workerd.
 */
export interface FakeEnv extends PluginEnv {
  lines: { level: LogLevel; message: string; fields?: Record<string, unknown> }[];
  stored: Map<string, Json>;
}

export const FACTS: PluginFacts = {
  pluginId: "notes-source",
  version: "1.2.0",
  tenantId: "acme",
  instanceId: "notes",
  config: { upstream: "https://upstream.test", apiToken: "s3cret" },
};

export const ALICE: Caller = { id: "alice", role: "editor", tenantId: "acme" };

export function fakeEnv({
  storage = true,
  caller = null,
}: {
  storage?: boolean;
  caller?: Caller | null;
} = {}): FakeEnv {
  const stored = new Map<string, Json>();
  const lines: FakeEnv["lines"] = [];
  const env: FakeEnv = {
    lines,
    stored,
    PLUGIN: FACTS,
    CALLER: caller,
    LOG: {
      async write(level, message, fields) {
        lines.push(fields === undefined ? { level, message } : { level, message, fields });
      },
    },
  };
  if (storage) env.STORAGE = memoryStorage(stored);
  return env;
}

/** Keys in order, a page of `limit` (default 100), `cursor` the last key of the page before. */
function memoryStorage(stored: Map<string, Json>): StorageBinding {
  return {
    async get(key) {
      return stored.has(key) ? structuredClone(stored.get(key) as Json) : null;
    },
    async put(key, value) {
      stored.set(key, structuredClone(value));
    },
    async delete(key) {
      return stored.delete(key);
    },
    async list({ prefix = "", limit = 100, cursor } = {}) {
      const keys = [...stored.keys()]
        .filter((key) => key.startsWith(prefix) && (cursor === undefined || key > cursor))
        .sort();
      const page = keys.slice(0, limit);
      return {
        entries: page.map((key) => ({ key, value: structuredClone(stored.get(key) as Json) })),
        cursor: keys.length > limit ? (page.at(-1) ?? null) : null,
      };
    },
  };
}

/** An `InvocationContext` that keeps what it is handed. */
export function invocation(): { waitUntil(promise: Promise<unknown>): void; waited: Promise<unknown>[] } {
  const waited: Promise<unknown>[] = [];
  return { waited, waitUntil: (promise) => void waited.push(promise) };
}
