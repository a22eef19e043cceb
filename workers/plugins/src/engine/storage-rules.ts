/*
 * What a plugin may store through its storage capability: checked by the capability
 * (capabilities.ts) on the plugin's arguments, and by the instance's object (instance-store.ts).
 */

/** Longest key a plugin may store, in UTF-8 bytes. */
export const MAX_STORAGE_KEY_BYTES = 512;
/** Largest value a plugin may store under one key, as JSON in UTF-8 bytes. */
export const MAX_STORAGE_VALUE_BYTES = 128 * 1024;
/** Most entries one `list` answers. */
export const MAX_STORAGE_LIST = 1000;

/** A refusal of the store that the plugin sees as its call's error message. */
export class StorageRefusal extends Error {}

export interface StorageEntry {
  key: string;
  value: unknown;
}
