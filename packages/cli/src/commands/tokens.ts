import { createTokenInputSchema, describeIssues, tokenRefSchema } from "@plugins/schema";
import type { Command } from "commander";
import { callRegistry, signedInConnection } from "../connection";
import { CliFailure } from "../failure";
import { commonHelp, printResult, runCommand, withCommonOptions } from "../output";

interface CreateOptions {
  plugin: string[];
  action: string[];
  expiresInDays?: string;
  json?: boolean;
}

/**
 * Publish tokens for CI. Creating, listing and revoking them takes a signed-in user's token
 * (a JWT from `plugins login`): a publish token may only publish, deprecate and yank.
 */
export function registerTokenCommands(program: Command): void {
  const token = program
    .command("token")
    .summary("create, list and revoke publish tokens for CI")
    .description("create, list and revoke publish tokens for CI (needs a user's token, not a publish token)")
    .addHelpText("after", commonHelp());

  withCommonOptions(
    token
      .command("create")
      .description("create a publish token; its secret is printed once and never again")
      .argument("<name>", "what the token is for, such as github-actions")
      .requiredOption("--plugin <scopes...>", "plugin ids or id prefixes ending in * (acme-*) it may act on")
      .option("--action <actions...>", "what it may do: publish, deprecate, yank", ["publish"])
      .option("--expires-in-days <days>", "1 to 365 (the registry's default: 90)"),
  ).action((name: string, options: CreateOptions) =>
    runCommand("token create", options, async () => {
      const input = createTokenInputSchema.safeParse({
        name,
        plugins: options.plugin,
        actions: options.action,
        ...(options.expiresInDays === undefined ? {} : { expiresInDays: Number(options.expiresInDays) }),
      });
      if (!input.success) throw CliFailure.usage(describeIssues(input.error.issues));
      const created = await callRegistry(await signedInConnection(), (api) => api.tokens.create.mutate(input.data));
      printResult(options, created, () => [
        created.token,
        `token ${created.id} '${created.name}': ${created.actions.join(", ")} on ${created.plugins.join(", ")}, expires ${created.expiresAt}`,
        "The secret above is shown once: store it now (as PLUGINS_TOKEN in your CI's secrets).",
      ]);
    }),
  );

  withCommonOptions(
    token.command("list").description("list your publish tokens with their last use (never their secrets)"),
  ).action((options: { json?: boolean }) =>
    runCommand("token list", options, async () => {
      const tokens = await callRegistry(await signedInConnection(), (api) => api.tokens.list.query());
      printResult(options, tokens, () =>
        tokens.length === 0
          ? ["no publish tokens"]
          : tokens.map((listed) =>
              [
                listed.id,
                listed.name,
                `${listed.actions.join(",")} on ${listed.plugins.join(",")}`,
                listed.revokedAt ? `revoked ${listed.revokedAt}` : `expires ${listed.expiresAt}`,
                `last used ${listed.lastUsedAt ?? "never"}`,
              ].join("  "),
            ),
      );
    }),
  );

  withCommonOptions(
    token
      .command("revoke")
      .description("revoke a publish token at once")
      .argument("<id>", "the token's id (from token list)"),
  ).action((id: string, options: { json?: boolean }) =>
    runCommand("token revoke", options, async () => {
      const input = tokenRefSchema.safeParse({ id });
      if (!input.success)
        throw CliFailure.usage(`token id ${JSON.stringify(id)}: ${describeIssues(input.error.issues)}`);
      const revoked = await callRegistry(await signedInConnection(), (api) => api.tokens.revoke.mutate(input.data));
      printResult(options, revoked, () => [`token ${revoked.id} '${revoked.name}' is revoked`]);
    }),
  );
}
