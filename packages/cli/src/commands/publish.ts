import { readFile, stat } from "node:fs/promises";
import type { Command } from "commander";
import { parseTag } from "../arguments";
import { archiveFormat, type Bundle, packFolder, readBundle } from "../bundle";
import { signedInConnection } from "../connection";
import { CliFailure } from "../failure";
import { printResult, runCommand, withCommonOptions } from "../output";
import { uploadBundle } from "../upload";

interface PublishOptions {
  tag?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function registerPublish(program: Command): void {
  withCommonOptions(
    program
      .command("publish")
      .summary("check, pack and upload a built folder or an archive")
      .description(
        "publish a built folder holding its plugin.json (packed as tar.gz), or a ready .tgz or .zip: checked and digested here first, then uploaded",
      )
      .argument("[path]", "the built folder, or an archive", ".")
      .option(
        "--tag <tag>",
        "also point this dist-tag at the new version (latest follows the highest stable by itself)",
      )
      .option("--dry-run", "list the files and sizes that would be sent, and send nothing"),
  ).action((path: string, options: PublishOptions) =>
    runCommand("publish", options, async () => {
      const tag = options.tag === undefined ? undefined : parseTag(options.tag);
      const bundle = await bundleAt(path);
      const files = bundle.files;
      const id = bundle.manifest.id;
      const version = bundle.manifest.version;
      if (options.dryRun) {
        printResult(
          options,
          { dryRun: true, id, version, entry: bundle.entry, archiveBytes: bundle.archive.byteLength, files },
          () => [
            `would publish ${id}@${version}: ${files.length} files, ${bundle.archive.byteLength} bytes packed (${bundle.format}), entry ${bundle.entry}`,
            ...files.map((file) => `  ${String(file.size).padStart(10)}  ${file.path}  ${file.integrity}`),
            "nothing was sent (--dry-run)",
          ],
        );
        return;
      }
      const answer = await uploadBundle(await signedInConnection(), {
        archive: bundle.archive,
        fileName: `${id}-${version}.${bundle.format === "zip" ? "zip" : "tgz"}`,
        tag,
      });
      const entry = files.find((file) => file.path === bundle.entry);
      // The registry digests what it received; an answer that disagrees means other bytes were stored.
      if (answer.integrity !== entry?.integrity) {
        throw CliFailure.mismatch(
          `${id}@${version}: the registry stored ${bundle.entry} as ${answer.integrity}, but the file sent is ${entry?.integrity}`,
        );
      }
      const result = {
        id: answer.id,
        version: answer.version,
        created: answer.created,
        url: answer.bundleUrl,
        integrity: answer.integrity,
        sha256: answer.sha256,
        ...(answer.signature === undefined ? {} : { signature: answer.signature }),
        ...(tag === undefined ? {} : { tag }),
        files,
      };
      printResult(options, result, () => [
        answer.created
          ? `published ${answer.id}@${answer.version} (${answer.fileCount} files, ${answer.size} bytes)`
          : `${answer.id}@${answer.version} was already published with these same files; nothing changed`,
        `url:        ${answer.bundleUrl}`,
        `integrity:  ${answer.integrity}`,
        `sha256:     ${answer.sha256}`,
        ...(answer.signature === undefined ? [] : [`signature:  ${printable(answer.signature)}`]),
        ...(tag === undefined ? [] : [`tag:        ${tag} → ${answer.version}`]),
      ]);
    }),
  );
}

/** A folder is packed; a file must already be a tar.gz or a zip. */
async function bundleAt(path: string): Promise<Bundle> {
  const found = await stat(path).catch(() => null);
  if (!found) throw CliFailure.usage(`${path}: no such file or folder`);
  if (found.isDirectory()) return readBundle(await packFolder(path), "tar.gz");
  const bytes = new Uint8Array(await readFile(path));
  const format = archiveFormat(bytes);
  if (!format) {
    throw CliFailure.usage(
      `${path} is neither a folder nor a .tgz or .zip archive: publish the built folder holding plugin.json`,
    );
  }
  return readBundle(bytes, format);
}

function printable(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
