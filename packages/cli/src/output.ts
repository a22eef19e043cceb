import type { Command } from "commander";
import { configFilePath } from "./config-file";
import { EXIT } from "./exit-codes";
import { CliFailure, type FailureReport, failureLine } from "./failure";

export interface OutputOptions {
  json?: boolean;
}

/**
 * Prints a command's result on stdout: the value as JSON under --json (and nothing else, so a
 * pipeline can parse stdout), else the human lines.
 */
export function printResult(options: OutputOptions, value: unknown, human: () => string[]): void {
  const text = options.json ? JSON.stringify(value, null, 2) : human().join("\n");
  process.stdout.write(`${text}\n`);
}

/** What every command's --help ends with: where settings come from, and the exit codes. */
export function commonHelp(): string {
  return [
    "",
    "Settings: plugins login stores the registry URL and token in",
    `  ${configFilePath()} ($XDG_CONFIG_HOME/plugins/config.json, or ~/.config/plugins/config.json;`,
    "  readable by you only, mode 0600). PLUGINS_REGISTRY and PLUGINS_TOKEN (a publish token, for CI)",
    "  override it.",
    "Exit codes: 0 ok, 1 refused (by the registry, or locally by the checks it makes), 2 usage",
    "  (bad command, option or argument; no registry or token configured), 3 registry unreachable or",
    "  unavailable (5xx, 429), 4 bytes differ from their listed digests.",
  ].join("\n");
}

/** Adds what every command takes: --json, and the common end of its --help. */
export function withCommonOptions(command: Command): Command {
  return command
    .option("--json", 'print machine-readable JSON on stdout (errors too, as {"error": …})')
    .addHelpText("after", commonHelp());
}

/**
 * Runs a command's body and turns its failure into the exit code and the one line on stderr
 * (under --json also `{"error": …}` on stdout). An unexpected error is reported the same way,
 * as a refusal, never as a stack trace.
 */
export async function runCommand(name: string, options: OutputOptions, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const failure =
      error instanceof CliFailure
        ? error
        : new CliFailure(EXIT.refused, {
            code: "INTERNAL",
            message: error instanceof Error ? error.message : String(error),
          });
    reportFailure(`plugins ${name}`, failure.report, options);
    process.exitCode = failure.exitCode;
  }
}

export function reportFailure(command: string, report: FailureReport, options: OutputOptions): void {
  if (options.json) process.stdout.write(`${JSON.stringify({ error: report })}\n`);
  process.stderr.write(`${failureLine(command, report)}\n`);
}
