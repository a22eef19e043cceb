#!/usr/bin/env node
import { CommanderError } from "commander";
import { EXIT } from "./exit-codes";
import { buildProgram } from "./program";

/** Commander's exits that are no failure: help asked for, the version. */
const ANSWERED = new Set(["commander.helpDisplayed", "commander.version"]);

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // Commander printed its one line already; under --json stdout says it too.
  if (ANSWERED.has(error.code)) process.exitCode = EXIT.ok;
  else {
    if (process.argv.includes("--json")) {
      const message = error.message.replace(/^error: /, "");
      process.stdout.write(`${JSON.stringify({ error: { code: "USAGE", message } })}\n`);
    }
    process.exitCode = EXIT.usage;
  }
}
