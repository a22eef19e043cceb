import { z } from "zod";

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_MESSAGE = "must not contain NUL characters or unpaired UTF-16 surrogates";

/** Postgres stores neither NUL nor unpaired surrogates in text or jsonb; refuse them up front as 400. */
export function isStorableText(value: string): boolean {
  return !value.includes("\0") && !UNPAIRED_SURROGATE.test(value);
}

/** A free-text string that Postgres can store. */
export function plainText() {
  return z.string().refine(isStorableText, { message: UNSTORABLE_MESSAGE });
}

/**
 * Whether every string anywhere in a JSON value is storable. `JSON.stringify` writes NUL
 * as `\u0000` and an unpaired surrogate as a `\udXXX` escape (paired ones stay literal).
 */
export function isStorableJson(value: unknown): boolean {
  return !/\\u0000|\\ud[89a-f][0-9a-f]{2}/i.test(JSON.stringify(value) ?? "");
}

export const storableJsonIssue = UNSTORABLE_MESSAGE;
