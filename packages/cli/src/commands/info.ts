import type { RouterOutputs } from "@plugins/api/client";
import type { Command } from "commander";
import { parsePluginId } from "../arguments";
import { answerJson, connection, request } from "../connection";
import { printResult, runCommand, withCommonOptions } from "../output";

type PackageDocument = NonNullable<RouterOutputs["plugins"]["document"]["document"]>;

export function registerInfo(program: Command): void {
  withCommonOptions(
    program
      .command("info")
      .summary("show a plugin's dist-tags and versions")
      .description(
        "show a plugin's dist-tags and versions with their status, like npm view (--json: its package document)",
      )
      .argument("<id>", "the plugin id"),
  ).action((id: string, options: { json?: boolean }) =>
    runCommand("info", options, async () => {
      const pluginId = parsePluginId(id);
      const document = await answerJson<PackageDocument>(
        await request(await connection(), `/api/plugins/${encodeURIComponent(pluginId)}`),
      );
      printResult(options, document, () => describeDocument(document));
    }),
  );
}

function describeDocument(document: PackageDocument): string[] {
  const tags = Object.entries(document.distTags).map(([tag, version]) => `${tag}: ${version}`);
  const versions = Object.entries(document.versions).map(([number, version]) => {
    const facts: string[] = [version.status, version.publishedAt];
    if (version.status !== "blocked") {
      facts.push(`${version.fileCount} files, ${version.size} bytes`);
      if (version.deprecated) facts.push(`deprecated: ${version.deprecated.message}`);
    }
    return `  ${number.padEnd(16)} ${facts.join("  ")}`;
  });
  return [
    `${document.id} · ${document.name}${document.license ? ` · ${document.license}` : ""}`,
    ...(document.description ? [document.description] : []),
    `dist-tags: ${tags.length > 0 ? tags.join("  ") : "(none)"}`,
    "versions:",
    ...versions,
  ];
}
