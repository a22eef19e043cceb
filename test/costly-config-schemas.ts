/**
 * Config schemas whose every pattern runs in linear time but whose whole evaluation does not,
 * as an outside review reported them. Shared by the unit and the integration tests.
 */

/**
 * The `$ref`/`allOf` fan-out: `levels` levels of `allOf: [{$ref: next}, {$ref: next}]` over one
 * pattern (about 2 KB at 17), which evaluate it 2^levels times on a 1000-character default.
 * With `atRoot`, the root reaches it too, so that checking `{}` (done at publish) costs as much.
 */
export function fanOutSchema(levels = 17, atRoot = false): Record<string, unknown> {
  const $defs: Record<string, unknown> = {};
  for (let level = 0; level < levels; level++) {
    $defs[`d${level}`] = { allOf: [{ $ref: `#/$defs/d${level + 1}` }, { $ref: `#/$defs/d${level + 1}` }] };
  }
  $defs[`d${levels}`] = { type: "string", pattern: "^x+$" };
  const root = atRoot ? { allOf: [{ $ref: "#/$defs/d0" }] } : {};
  return { type: "object", ...root, properties: { p: { $ref: "#/$defs/d0", default: "x".repeat(1000) } }, $defs };
}

/** Many patterns, each linear: `count` of them on one string property with a 40 KB default (54.5 KB at 550). */
export function manyPatternsSchema(count = 550): Record<string, unknown> {
  const allOf = Array.from({ length: count }, (_, index) => ({ pattern: `x[xy]{${200 + index}}!` }));
  return { type: "object", properties: { s: { type: "string", default: "x".repeat(40_000), allOf } } };
}
