/**
 * The exit codes CI can rely on (README, "Publishing from a terminal or CI"). A change here
 * is a breaking change for every pipeline that branches on them.
 */
export const EXIT = {
  ok: 0,
  /** The registry refused (a 4xx answer), or a local check refused what the registry would. */
  refused: 1,
  /** A command, option or argument the CLI does not take; no registry or token configured; no such path. */
  usage: 2,
  /** The registry could not be reached, or answered 5xx or 429: trying again later may succeed. */
  unavailable: 3,
  /** Bytes differ from the digests the registry lists for them (verify, or a publish's answer). */
  mismatch: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
