import { Command } from "commander";
import { version } from "../package.json";
import { registerInfo } from "./commands/info";
import { registerLogin } from "./commands/login";
import { registerPublish } from "./commands/publish";
import { registerTagCommands } from "./commands/tags";
import { registerTokenCommands } from "./commands/tokens";
import { registerVerify } from "./commands/verify";
import { registerVersionCommands } from "./commands/versions";
import { commonHelp } from "./output";

/**
 * The `plugins` command. Commander's own exits are overridden (main.ts maps them to the exit
 * codes) and its errors print as one line; subcommands inherit both, being added after.
 */
export function buildProgram(): Command {
  const program = new Command("plugins")
    .description("Publish and manage plugins on a plugin registry")
    .version(version)
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(`plugins: ${message.replace(/^error: /, "")}`) })
    .addHelpText("after", commonHelp());
  registerLogin(program);
  registerPublish(program);
  registerInfo(program);
  registerVerify(program);
  registerVersionCommands(program);
  registerTagCommands(program);
  registerTokenCommands(program);
  return program;
}
