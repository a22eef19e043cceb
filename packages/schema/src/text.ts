import { z } from "zod";

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_MESSAGE = "must not contain NUL characters or unpaired UTF-16 surrogates";
const UNSTORABLE_JSON_MESSAGE = `${UNSTORABLE_MESSAGE}, nor numbers beyond what JSON can hold (1e400 reads as Infinity)`;

/** Postgres stores neither NUL nor unpaired surrogates in text or jsonb; refuse them up front as 400. */
export function isStorableText(value: string): boolean {
  return !value.includes("\0") && !UNPAIRED_SURROGATE.test(value);
}

/** A free-text string that Postgres can store. */
export function plainText() {
  return z.string().refine(isStorableText, { message: UNSTORABLE_MESSAGE });
}

/**
 * Whether a JSON value can be stored and written back: no string anywhere holds NUL or an
 * unpaired surrogate (`JSON.stringify` writes them as `\u0000` and `\udXXX` escapes;
 * paired ones stay literal), and no number is NaN or infinite, as `JSON.parse("1e400")`
 * gives: `JSON.stringify` would write it as `null` and canonical JSON refuses it.
 */
export function isStorableJson(value: unknown): boolean {
  let finite = true;
  const text = JSON.stringify(value, (_, item: unknown) => {
    if (typeof item === "number" && !Number.isFinite(item)) finite = false;
    return item;
  });
  return finite && !/\\u0000|\\ud[89a-f][0-9a-f]{2}/i.test(text ?? "");
}

/**
 * Where the first number JSON cannot hold (NaN, ±Infinity: `1e400` parses as Infinity)
 * sits in a parsed JSON value, as a path of keys and indexes, or null when there is none.
 * Iterative, so the value's depth does not matter.
 */
export function nonFiniteNumberPath(value: unknown): Array<string | number> | null {
  const pending: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path: [] }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (typeof next.value === "number" && !Number.isFinite(next.value)) return next.path;
    if (typeof next.value !== "object" || next.value === null) continue;
    const entries: Array<[string | number, unknown]> = Array.isArray(next.value)
      ? next.value.map((item, index) => [index, item])
      : Object.entries(next.value);
    // Reversed onto the stack, so values are visited in document order.
    for (const [key, child] of entries.reverse()) pending.push({ value: child, path: [...next.path, key] });
  }
  return null;
}

export const storableJsonIssue = UNSTORABLE_JSON_MESSAGE;
