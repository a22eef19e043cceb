import type { RouterOutputs } from "@plugins/api/client";
import { filesDigest, keySetSchema, verifyVersionSignature } from "@plugins/schema";
import type { Command } from "commander";
import { parseVersionRef } from "../arguments";
import { digestsOf } from "../bundle";
import { answerBytes, answerJson, type Connection, callRegistry, connection, request } from "../connection";
import { CliFailure } from "../failure";
import { printResult, runCommand, withCommonOptions } from "../output";

type ListedVersion = RouterOutputs["versions"]["get"];

/** One file as served, against what the registry lists for it. */
interface FileCheck {
  path: string;
  size: number;
  sha256: string;
  integrity: string;
  /** What differs, or null when the served bytes match the listing. */
  problem: string | null;
}

/**
 * The checks `verify` runs, in order; each sees the version as listed and throws the failure
 * that ends the command. Hashes come first: a signature is worth checking only over the bytes
 * that are actually served.
 */
const VERIFICATION_STEPS: ReadonlyArray<(to: Connection, version: ListedVersion) => Promise<Record<string, unknown>>> =
  [checkServedFiles, checkSignature];

export function registerVerify(program: Command): void {
  withCommonOptions(
    program
      .command("verify")
      .summary("check every served file of a version against its listed digests, and its signature")
      .description(
        "download every file of a version from its bundle URL and check each against the sha256 and sha384 the registry lists, then the version's signature against the registry's key set (GET /api/keys)",
      )
      .argument("<id@version>", "the exact version, such as charts@1.2.0"),
  ).action((ref: string, options: { json?: boolean }) =>
    runCommand("verify", options, async () => {
      const { pluginId, version } = parseVersionRef(ref);
      const to = await connection();
      const listed = await callRegistry(to, (api) => api.versions.get.query({ pluginId, version }));
      let outcome: Record<string, unknown> = { pluginId, version, ok: true };
      for (const step of VERIFICATION_STEPS) outcome = { ...outcome, ...(await step(to, listed)) };
      printResult(options, outcome, () => [
        `${pluginId}@${version}: all ${listed.files.length} files match the sha256 and sha384 the registry lists`,
        `${pluginId}@${version}: signed by key '${listed.signature?.keyid}', which GET /api/keys lists`,
      ]);
    }),
  );
}

/** Every file, fetched from its public URL as a browser would, digested and compared. */
async function checkServedFiles(to: Connection, listed: ListedVersion): Promise<{ files: FileCheck[] }> {
  const files: FileCheck[] = [];
  for (const file of listed.files) {
    const response = await request({ registry: to.registry, token: undefined }, file.url);
    // A bundle URL that refuses answers the REST envelope; its message says why (410: blocked).
    const bytes = new Uint8Array(await answerBytes(response));
    const served = digestsOf(bytes);
    const problems = [
      bytes.byteLength === file.size ? null : `is ${bytes.byteLength} bytes, the registry lists ${file.size}`,
      served.sha256 === file.sha256 ? null : `has sha256 ${served.sha256}, the registry lists ${file.sha256}`,
      served.integrity === file.integrity ? null : `has ${served.integrity}, the registry lists ${file.integrity}`,
    ].filter((problem) => problem !== null);
    files.push({
      path: file.path,
      size: bytes.byteLength,
      ...served,
      problem: problems.length > 0 ? `${file.path} as served ${problems.join("; ")}` : null,
    });
  }
  const first = files.find((file) => file.problem !== null);
  if (first?.problem) throw CliFailure.mismatch(`${listed.pluginId}@${listed.version}: ${first.problem}`);
  return { files };
}

/**
 * The version's signature, over the statement of the files just checked (signatures.ts in
 * @plugins/schema), against the key set the registry serves: unsigned, an unknown or expired
 * key, or a signature that does not match all fail.
 */
async function checkSignature(to: Connection, listed: ListedVersion): Promise<{ signature: { keyid: string } }> {
  const keySet = keySetSchema.safeParse(await answerJson(await request({ ...to, token: undefined }, "/api/keys")));
  if (!keySet.success) throw CliFailure.mismatch("GET /api/keys did not answer a key set");
  const stated = {
    plugin: listed.pluginId,
    version: listed.version,
    entry: listed.integrity,
    files: await filesDigest(listed.files),
  };
  const problem = await verifyVersionSignature(stated, listed.signature, keySet.data);
  if (problem) throw CliFailure.mismatch(problem.message);
  return { signature: { keyid: listed.signature?.keyid ?? "" } };
}
