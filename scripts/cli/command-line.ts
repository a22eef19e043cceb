import { type ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Command<O extends Options> {
  /** How the user typed it: `pnpm dev`. */
  name: string;
  /** The `--help` text; its first line is the usage. */
  help: string;
  /** The flags besides `-h, --help`, which every command has. */
  options: O;
}

const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const;

type Values<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O & typeof HELP_OPTION; strict: true }>
>["values"];

export type ParsedCommandLine<O extends Options> =
  | { kind: "run"; values: Values<O> }
  | { kind: "help" }
  | { kind: "problem"; problem: string };

/**
 * Reads `args` against the command's flags. A bad flag becomes one sentence naming it
 * (Node's own errors come with advice about `--` and, uncaught, a stack trace).
 */
export function parseCommandLine<O extends Options>(command: Command<O>, args: string[]): ParsedCommandLine<O> {
  const options = { ...command.options, ...HELP_OPTION };
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === "positional") return { kind: "problem", problem: `unexpected argument '${token.value}'` };
    if (token.kind !== "option") continue;
    const option = options[token.name];
    if (option === undefined) return { kind: "problem", problem: `unknown option ${token.rawName}` };
    if (option.type === "boolean" && token.value !== undefined) {
      return { kind: "problem", problem: `${token.rawName} takes no value` };
    }
    if (option.type === "string" && token.value === undefined) {
      return { kind: "problem", problem: `${token.rawName} needs a value` };
    }
    if (option.type === "string" && !token.inlineValue && token.value?.startsWith("-")) {
      return {
        kind: "problem",
        problem: `${token.rawName} needs a value (got the option ${token.value}; write ${token.rawName}=${token.value} to mean it)`,
      };
    }
  }
  const { values } = parseArgs({ args, options, strict: true });
  if ((values as { help?: boolean }).help) return { kind: "help" };
  return { kind: "run", values: values as Values<O> };
}

/** Prints one line naming the problem and the usage, and exits 2: the convention for a misused command. */
export function refuseUsage(command: Command<Options>, problem: string): never {
  const usage = command.help.split("\n", 1)[0];
  process.stderr.write(`${command.name}: ${problem}\n${usage}\nMore: ${command.name} --help\n`);
  process.exit(2);
}

/** The flags of this process, or the help (exit 0) or a refusal (exit 2). */
export function readCommandLine<O extends Options>(command: Command<O>, args = process.argv.slice(2)): Values<O> {
  const parsed = parseCommandLine(command, args);
  if (parsed.kind === "help") {
    process.stdout.write(command.help);
    process.exit(0);
  }
  if (parsed.kind === "problem") refuseUsage(command, parsed.problem);
  return parsed.values;
}

/** `text` as a whole number from `min` to `max`, or null: no sign, no decimals, no exponent. */
export function wholeNumber(text: string, min: number, max: number): number | null {
  if (!/^\d{1,15}$/.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}
