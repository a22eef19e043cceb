import type { Json, StorageBinding, StorageListOptions } from "./module";

/** The instance's storage as a plugin uses it: values typed by the caller, stored as JSON. */
export interface Storage {
  /** The value under `key`, or `null` when there is none. */
  get<T = unknown>(key: string): Promise<T | null>;
  /** Stores a JSON value; rejects with "storage quota…" when the instance's quota would be exceeded. */
  put(key: string, value: unknown): Promise<void>;
  /** Whether there was a value to delete. */
  delete(key: string): Promise<boolean>;
  /** One page of entries in key order; pass the answer's `cursor` back for the next, until it is `null`. */
  list<T = unknown>(options?: ListOptions): Promise<{ entries: { key: string; value: T }[]; cursor: string | null }>;
}

/** The binding's options, but `cursor` may be `null` (the first page), so a loop can pass on the last answer's. */
export interface ListOptions extends Omit<StorageListOptions, "cursor"> {
  cursor?: string | null;
}

export const NO_STORAGE_MESSAGE = "this plugin declares no storage permission";

/**
 * Wraps `env.STORAGE`. Without it (the manifest declares no `permissions.storage`), every call
 * rejects saying so, rather than failing on `undefined` somewhere in the plugin.
 */
export function instanceStorage(binding: StorageBinding | undefined): Storage {
  if (!binding) {
    const refuse = () =>
      Promise.reject(
        new Error(`${NO_STORAGE_MESSAGE}: add "storage": { "quotaBytes": … } to the manifest's permissions`),
      );
    return { get: refuse, put: refuse, delete: refuse, list: refuse };
  }
  return {
    get: async <T>(key: string) => (await binding.get(key)) as T | null,
    // The binding checks the value on its side; a typed signature here would refuse interfaces TypeScript cannot prove JSON.
    put: (key, value) => binding.put(key, value as Json),
    delete: (key) => binding.delete(key),
    list: async <T>({ cursor, ...options }: ListOptions = {}) => {
      const page = await binding.list(cursor ? { ...options, cursor } : options);
      return { entries: page.entries as { key: string; value: T }[], cursor: page.cursor };
    },
  };
}
