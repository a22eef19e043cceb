import type { Command } from "commander";
import { parsePluginId, parseTag, parseVersionRef } from "../arguments";
import { callRegistry, signedInConnection } from "../connection";
import { commonHelp, printResult, runCommand, withCommonOptions } from "../output";

export function registerTagCommands(program: Command): void {
  const tag = program
    .command("tag")
    .description("set or remove a plugin's dist-tags")
    .addHelpText("after", commonHelp());

  withCommonOptions(
    tag
      .command("set")
      .description("point a dist-tag at a published version (setting latest by hand pins it until removed)")
      .argument("<id@version>", "the exact version, such as charts@1.3.0")
      .argument("<tag>", "the tag, such as beta"),
  ).action((ref: string, name: string, options: { json?: boolean }) =>
    runCommand("tag set", options, async () => {
      const input = { ...parseVersionRef(ref), tag: parseTag(name) };
      const result = await callRegistry(await signedInConnection(), (api) => api.tags.set.mutate(input));
      printResult(options, result, () => [`${result.pluginId}@${result.tag} → ${result.version}`]);
    }),
  );

  withCommonOptions(
    tag
      .command("rm")
      .description("remove a dist-tag (removing latest hands it back to the highest stable version)")
      .argument("<id>", "the plugin id")
      .argument("<tag>", "the tag"),
  ).action((id: string, name: string, options: { json?: boolean }) =>
    runCommand("tag rm", options, async () => {
      const input = { pluginId: parsePluginId(id), tag: parseTag(name) };
      const result = await callRegistry(await signedInConnection(), (api) => api.tags.remove.mutate(input));
      printResult(options, result, () => [
        `${result.pluginId}: removed ${result.tag} (was ${result.removedVersion})${result.latest ? `; latest → ${result.latest}` : ""}`,
      ]);
    }),
  );
}
