/**
 * The classic super-linear regular expressions: on the 10 KB input below, V8's
 * backtracking engine would take longer than anyone waits for each of them (`^(a+)+$` doubles
 * its time with every `a`). None of them matches it.
 */
export const SUPER_LINEAR_PATTERNS = [
  "^(a+)+$",
  "(a|aa)+$",
  "(a|a)*b",
  "^(\\w+\\s?)*$",
  "(.*a){20}$",
  "^(([a-z])+.)+[A-Z]([a-z])+$",
] as const;

/** 10,000 `a`s and a `!`: the input that makes each pattern above backtrack. */
export const HOSTILE_INPUT = `${"a".repeat(10_000)}!`;
