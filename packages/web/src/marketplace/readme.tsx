import DOMPurify from "dompurify";
import { marked } from "marked";
import { useMemo } from "react";

/**
 * A readme's Markdown as HTML a publisher cannot script: marked renders it (raw HTML kept,
 * as on npm), DOMPurify then removes every script, event handler, `javascript:` or `data:`
 * link, form and frame before React inserts it. The page's Content-Security-Policy (no
 * inline script) is the second wall, should the first ever let something through.
 */
export function renderReadme(markdown: string): string {
  const html = marked.parse(markdown, { async: false, gfm: true });
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed"],
    FORBID_ATTR: ["style"],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#|\/(?!\/)|\.{0,2}\/|[^:]*$)/i,
  });
}

export function Readme({ markdown }: { markdown: string }) {
  const html = useMemo(() => renderReadme(markdown), [markdown]);
  // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitized by DOMPurify in renderReadme
  return <div className="readme" dangerouslySetInnerHTML={{ __html: html }} />;
}
