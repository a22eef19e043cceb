import { z } from "zod";
import { bundleFilePathSchema, quotePath } from "./plugins";
import { plainText } from "./text";

/*
 * What a registry listing shows beside the name and description: a display name, a readme, an
 * icon, links and keywords, as npm's package.json and a VS Code extension's manifest carry them.
 * The schemas check each field on its own; `checkListingFiles` checks, at publish, that the files
 * the readme and icon name are in the bundle and are what they claim to be.
 */

/** A readme file is stored as text beside the version: a limit keeps a listing cheap to serve. */
export const README_MAX_BYTES = 256 * 1024;

/** File name endings a readme file may have: Markdown, or plain text shown as it is. */
const README_FILE = /\.(md|markdown|txt)$/i;

/** File name endings an icon may have: the image types a browser shows in an <img>. */
const ICON_FILE = /\.(png|jpe?g|webp|gif|svg)$/i;

/** Line breaks, tabs and invisible characters have no place in a one-line label. */
const CONTROL_OR_FORMAT = /\p{C}/u;

/** One line of plain text: no control or format characters (line breaks, zero-width spaces…). */
function oneLine(max: number) {
  return plainText()
    .trim()
    .min(1, "must not be empty")
    .max(max)
    .refine((text) => !CONTROL_OR_FORMAT.test(text), {
      message: "must be one line of plain text (no line breaks, tabs or invisible characters)",
    });
}

/** Whether a link is safe to put in a page: https, a host, no credentials, nothing blank or invisible. */
function isHttpsUrl(value: string): boolean {
  if (/[\s\p{C}]/u.test(value) || !URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === "https:" && url.hostname !== "" && url.username === "" && url.password === "";
}

/** A link a listing shows: `https:` only, so no `javascript:`, `data:` or plain-http link reaches a page. */
export const httpsUrlSchema = z
  .string()
  .max(2048)
  .refine(isHttpsUrl, { message: "must be an https URL such as https://example.com/docs (no credentials)" });

/**
 * The readme: a string names a file of the bundle (`"README.md"`: a path ending in .md, .markdown
 * or .txt); `{ "text": "…" }` gives the Markdown inline, as a single-file publish must. Two shapes,
 * so that a path is never mistaken for text or text for a path.
 */
export const readmeFieldSchema = z.union(
  [
    // The ending first, alone: a string of Markdown text is told how to give text, not what a path is.
    z.string().superRefine((path, ctx) => {
      if (!README_FILE.test(path)) {
        ctx.addIssue({
          code: "custom",
          message:
            'must name a file of the bundle ending in .md, .markdown or .txt; give Markdown text as {"text": "…"}',
        });
        return;
      }
      for (const issue of bundleFilePathSchema.safeParse(path).error?.issues ?? []) {
        ctx.addIssue({ code: "custom", message: issue.message });
      }
    }),
    z.strictObject({
      text: plainText().refine((text) => text.trim() !== "", { message: "must not be empty" }),
    }),
  ],
  {
    error: () => 'must be the path of a Markdown file of the bundle ("README.md") or {"text": "…Markdown…"}',
  },
);
export type ReadmeField = z.infer<typeof readmeFieldSchema>;

/** The repository: its https URL, or npm's `{ "type": "git", "url": "https://…" }`. */
export const repositoryFieldSchema = z.union(
  [
    httpsUrlSchema,
    z.strictObject({
      type: z.string().regex(/^[a-z][a-z0-9+-]{0,31}$/, "must be a lowercase word such as git"),
      url: httpsUrlSchema,
    }),
  ],
  { error: () => 'must be an https URL or {"type": "git", "url": "https://…"}' },
);
export type RepositoryField = z.infer<typeof repositoryFieldSchema>;

/** Words a marketplace finds the plugin by; a repeat (in any case) is refused rather than dropped. */
export const keywordsFieldSchema = z
  .array(oneLine(50))
  .max(20, "must list at most 20 keywords")
  .superRefine((keywords, ctx) => {
    const seen = new Set<string>();
    keywords.forEach((keyword, index) => {
      const folded = keyword.toLowerCase();
      if (seen.has(folded)) ctx.addIssue({ code: "custom", path: [index], message: `repeats "${keyword}"` });
      seen.add(folded);
    });
  });

/** The listing fields of the manifest, each optional. */
export const listingFieldsShape = {
  /** The name a marketplace shows, when it differs from `name`. */
  displayName: oneLine(100).optional(),
  readme: readmeFieldSchema.optional(),
  /** A png, jpeg, webp, gif or svg file of the bundle. */
  icon: bundleFilePathSchema
    .refine((path) => ICON_FILE.test(path), {
      message: "must be an image: a path ending in .png, .jpg, .jpeg, .webp, .gif or .svg",
    })
    .optional(),
  homepage: httpsUrlSchema.optional(),
  repository: repositoryFieldSchema.optional(),
  /** Where to report problems. */
  bugs: httpsUrlSchema.optional(),
  keywords: keywordsFieldSchema.optional(),
};

/** The repository's URL, whichever form the manifest gave it in. */
export function repositoryUrl(repository: RepositoryField | undefined): string | null {
  if (repository === undefined) return null;
  return typeof repository === "string" ? repository : repository.url;
}

/**
 * The readme's text to store beside the version (null without one), or a refusal naming the
 * field: `readme: "README.md" is not a file of the bundle`.
 */
export type ListingFiles = { ok: true; readme: string | null } | { ok: false; problem: string };

/**
 * At publish: the files the readme and icon name must be files of the bundle, and a readme file
 * UTF-8 text of at most README_MAX_BYTES that Postgres can store. Gives the readme's text.
 */
export function checkListingFiles(
  manifest: { readme?: ReadmeField; icon?: string },
  files: ReadonlyArray<{ path: string; bytes: Uint8Array }>,
): ListingFiles {
  if (manifest.icon !== undefined && !files.some((file) => file.path === manifest.icon)) {
    return { ok: false, problem: `icon: ${quotePath(manifest.icon)} is not a file of the bundle` };
  }
  const readme = manifest.readme;
  if (readme === undefined) return { ok: true, readme: null };
  if (typeof readme !== "string") return { ok: true, readme: readme.text };
  const file = files.find((candidate) => candidate.path === readme);
  if (!file) return { ok: false, problem: `readme: ${quotePath(readme)} is not a file of the bundle` };
  if (file.bytes.byteLength > README_MAX_BYTES) {
    return {
      ok: false,
      problem: `readme: ${quotePath(readme)} is ${file.bytes.byteLength} bytes; a readme is at most ${README_MAX_BYTES}`,
    };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(file.bytes);
  } catch {
    return { ok: false, problem: `readme: ${quotePath(readme)} is not UTF-8 text` };
  }
  if (text.includes("\0"))
    return { ok: false, problem: `readme: ${quotePath(readme)} holds NUL characters; it must be text` };
  return { ok: true, readme: text };
}
