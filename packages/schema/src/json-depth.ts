/**
 * How deeply a JSON value the platform accepts may nest, counting each array and object
 * (`{"a": [1]}` nests 2 levels). The object that carries a request's fields (a tRPC input,
 * a REST body, plugin.json) is not counted: its fields' values get these 32 levels.
 *
 * Parsing is not the danger (`JSON.parse` is iterative), but everything after it is:
 * `JSON.stringify`, the config validator and structured clones recurse, and in workerd a
 * config of 10,000 nested arrays overflowed the stack while its answer was serialized.
 */
export const MAX_JSON_DEPTH = 32;

export const jsonDepthIssue = `nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects, the limit`;

/**
 * Whether `value` nests more than `limit` levels of arrays and plain objects. Iterative,
 * so any depth is measured without recursion, and it stops at the first level past the limit.
 * Anything that is not an array or a plain object (a FormData, a File) counts as a leaf.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const children = containerValues(next.value);
    if (!children) continue;
    const depth = next.depth + 1;
    if (depth > limit) return true;
    for (const child of children) pending.push({ value: child, depth });
  }
  return false;
}

/** Whether a field's value nests deeper than MAX_JSON_DEPTH. */
export function isTooDeepJson(value: unknown): boolean {
  return nestsDeeperThan(value, MAX_JSON_DEPTH);
}

/** Whether a whole input (the object carrying the fields) nests deeper than its fields may. */
export function isTooDeepInput(input: unknown): boolean {
  return nestsDeeperThan(input, MAX_JSON_DEPTH + 1);
}

function containerValues(value: unknown): unknown[] | null {
  if (Array.isArray(value)) return value;
  if (typeof value !== "object" || value === null) return null;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null ? Object.values(value) : null;
}
