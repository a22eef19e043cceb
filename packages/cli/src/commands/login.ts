import { text } from "node:stream/consumers";
import type { Command } from "commander";
import { configFilePath, readStoredLogin, storeLogin } from "../config-file";
import { answerJson, registryUrl, request } from "../connection";
import { CliFailure } from "../failure";
import { printResult, runCommand, withCommonOptions } from "../output";

interface LoginOptions {
  registry?: string;
  token?: string;
  json?: boolean;
}

export function registerLogin(program: Command): void {
  withCommonOptions(
    program
      .command("login")
      .summary("store the registry URL and a token for the other commands")
      .description(
        `store the registry URL and a token in ${configFilePath()}, readable by you only (mode 0600); the token is read from standard input unless --token is given, so it stays out of your shell's history`,
      )
      .option("--registry <url>", "the registry's URL (default: PLUGINS_REGISTRY, or the one stored before)")
      .option("--token <token>", "a bearer token (a user's JWT, or a publish token ppt_…)"),
  ).action((options: LoginOptions) =>
    runCommand("login", options, async () => {
      const path = configFilePath();
      const given = options.registry ?? process.env.PLUGINS_REGISTRY ?? (await readStoredLogin(path)).registry;
      if (!given) throw CliFailure.usage("--registry <url> is required the first time");
      const registry = registryUrl(given);
      if (options.token === undefined && process.stdin.isTTY) {
        process.stderr.write("Paste the token, then press Enter and Ctrl-D: ");
      }
      const token = (options.token ?? (await text(process.stdin))).trim();
      if (!token) throw CliFailure.usage("no token: pass --token, or pipe it on standard input");
      await checkRegistry(registry);
      await storeLogin(path, { registry, token });
      printResult(options, { registry, configFile: path }, () => [`logged in to ${registry} (stored in ${path})`]);
    }),
  );
}

/** A URL that is not the registry is caught now, not at the first publish: its index names /trpc. */
async function checkRegistry(registry: string): Promise<void> {
  const index = await answerJson<{ links?: { trpc?: unknown } }>(await request({ registry, token: undefined }, "/"));
  if (typeof index.links?.trpc !== "string") {
    throw CliFailure.refused(
      "NOT_A_REGISTRY",
      `${registry} does not answer as a plugin registry (GET / has no links.trpc)`,
    );
  }
}
