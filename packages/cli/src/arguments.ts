import { describeIssues, pluginIdSchema, tagSchema, versionSchema } from "@plugins/schema";
import { CliFailure } from "./failure";

/** `<id>@<version>` as commands take it. Every argument is checked with the registry's own schemas. */
export function parseVersionRef(text: string): { pluginId: string; version: string } {
  const at = text.lastIndexOf("@");
  if (at <= 0) throw CliFailure.usage(`${JSON.stringify(text)} is not <id>@<version>, such as charts@1.2.0`);
  return { pluginId: parsePluginId(text.slice(0, at)), version: parseExactVersion(text.slice(at + 1)) };
}

export function parsePluginId(text: string): string {
  const id = pluginIdSchema.safeParse(text);
  if (!id.success) throw CliFailure.usage(`plugin id ${JSON.stringify(text)}: ${describeIssues(id.error.issues)}`);
  return id.data;
}

export function parseExactVersion(text: string): string {
  const version = versionSchema.safeParse(text);
  if (!version.success) throw CliFailure.usage(`version: ${describeIssues(version.error.issues)}`);
  return version.data;
}

export function parseTag(text: string): string {
  const tag = tagSchema.safeParse(text);
  if (!tag.success) throw CliFailure.usage(`tag ${JSON.stringify(text)}: ${describeIssues(tag.error.issues)}`);
  return tag.data;
}
