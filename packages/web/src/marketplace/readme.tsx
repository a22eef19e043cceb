import DOMPurify from "dompurify";
import { Marked } from "marked";
import { useMemo } from "react";

/**
 * A readme's Markdown as HTML a publisher cannot script: marked renders it (raw HTML kept,
 * as on npm), DOMPurify then removes every script, event handler, `javascript:` or `data:`
 * link, form and frame before React inserts it. The page's Content-Security-Policy (no
 * inline script) is the second wall, should the first ever let something through.
 */
const markdown = new Marked({
  gfm: true,
  // The page has its h1 (the plugin's name) and the readme sits under an h2: its headings
  // start at h3, so the outline stays one page's.
  walkTokens(token) {
    if (token.type === "heading") token.depth = Math.min(6, token.depth + 2);
  },
});

export function renderReadme(text: string): string {
  const html = markdown.parse(text, { async: false });
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed"],
    FORBID_ATTR: ["style"],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#|\/(?!\/)|\.{0,2}\/|[^:]*$)/i,
  });
}

export function Readme({ markdown: text }: { markdown: string }) {
  const html = useMemo(() => renderReadme(text), [text]);
  // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitized by DOMPurify in renderReadme
  return <div className="readme" dangerouslySetInnerHTML={{ __html: html }} />;
}
