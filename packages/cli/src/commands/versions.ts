import type { Command } from "commander";
import { parsePluginId, parseVersionRef } from "../arguments";
import { callRegistry, signedInConnection } from "../connection";
import { printResult, runCommand, withCommonOptions } from "../output";

/** `deprecate` and `yank`: what a publisher does to a version already out (a publish token may, within its grant). */
export function registerVersionCommands(program: Command): void {
  withCommonOptions(
    program
      .command("deprecate")
      .summary("flag a version as deprecated, or lift the flag")
      .description("flag a version as deprecated (still served and resolvable); an empty message lifts the flag")
      .argument("<id@version>", "the exact version, such as charts@1.2.0")
      .argument("<message>", 'what users should do instead; "" lifts the deprecation')
      .option("--replacement <id>", "a plugin that replaces this one"),
  ).action((ref: string, message: string, options: { replacement?: string; json?: boolean }) =>
    runCommand("deprecate", options, async () => {
      const version = parseVersionRef(ref);
      const replacement = options.replacement === undefined ? {} : { replacement: parsePluginId(options.replacement) };
      const result = await callRegistry(await signedInConnection(), (api) =>
        api.versions.deprecate.mutate({ ...version, message, ...replacement }),
      );
      printResult(options, result, () => [
        result.deprecated
          ? `${result.pluginId}@${result.version} is deprecated: ${message}`
          : `${result.pluginId}@${result.version} is no longer deprecated`,
      ]);
    }),
  );

  withCommonOptions(
    program
      .command("yank")
      .summary("withdraw a version from tags, ranges and installs")
      .description(
        "withdraw a version: no tag, range, install or upgrade chooses it any more; its exact URL keeps serving",
      )
      .argument("<id@version>", "the exact version, such as charts@1.2.0")
      .option("--reason <text>", "why, kept with the version"),
  ).action((ref: string, options: { reason?: string; json?: boolean }) =>
    runCommand("yank", options, async () => {
      const version = parseVersionRef(ref);
      const reason = options.reason === undefined ? {} : { reason: options.reason };
      const result = await callRegistry(await signedInConnection(), (api) =>
        api.versions.yank.mutate({ ...version, ...reason }),
      );
      printResult(options, result, () => [
        `${result.pluginId}@${result.version} is yanked${result.removedTags.length > 0 ? `; tags removed: ${result.removedTags.join(", ")}` : ""}`,
      ]);
    }),
  );
}
