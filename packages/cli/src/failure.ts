import { EXIT, type ExitCode } from "./exit-codes";

/** What a failed command reports: one line on stderr, and `{"error": …}` on stdout under --json. */
export interface FailureReport {
  /** The registry's error code (`CONFLICT`, `BAD_REQUEST`…), or the CLI's own (`USAGE`, `UNAVAILABLE`, `MISMATCH`). */
  code: string;
  message: string;
  /** The HTTP status the registry answered, when it answered. */
  status?: number;
  /** The registry's request id, to quote to its operators. */
  requestId?: string;
}

/** A failure a command ends with, carrying the exit code CI branches on. */
export class CliFailure extends Error {
  override readonly name = "CliFailure";

  constructor(
    readonly exitCode: ExitCode,
    readonly report: FailureReport,
  ) {
    super(report.message);
  }

  static usage(message: string): CliFailure {
    return new CliFailure(EXIT.usage, { code: "USAGE", message });
  }

  /** A local check refused what the registry would refuse too. */
  static refused(code: string, message: string): CliFailure {
    return new CliFailure(EXIT.refused, { code, message });
  }

  static mismatch(message: string): CliFailure {
    return new CliFailure(EXIT.mismatch, { code: "MISMATCH", message });
  }

  /** The registry answered with an error status. */
  static answered(status: number, report: Omit<FailureReport, "status">): CliFailure {
    const retryable = status >= 500 || status === 429;
    return new CliFailure(retryable ? EXIT.unavailable : EXIT.refused, { ...report, status });
  }

  static unreachable(registry: string, cause: unknown): CliFailure {
    return new CliFailure(EXIT.unavailable, {
      code: "UNAVAILABLE",
      message: `cannot reach the registry at ${registry}: ${causeOf(cause)}`,
    });
  }
}

/** The line a failure prints on stderr: the message, then the code, status and request id in brackets. */
export function failureLine(command: string, report: FailureReport): string {
  const facts = [report.code, report.status, report.requestId === undefined ? undefined : `request ${report.requestId}`]
    .filter((fact) => fact !== undefined)
    .join(", ");
  return `${command}: ${oneLine(report.message)} (${facts})`;
}

/** Messages may hold newlines (a server's, a library's); CI logs read one line per failure. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

/** Node's fetch hides the reason (ECONNREFUSED, ENOTFOUND) in the cause of "fetch failed". */
function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const inner = error.cause instanceof Error ? error.cause : undefined;
  const code = inner && "code" in inner && typeof inner.code === "string" ? inner.code : undefined;
  return [error.message, code ?? inner?.message].filter(Boolean).join(": ");
}
