import { stripVTControlCharacters } from "node:util";

/**
 * What `wrangler dev` prints that is wrong for this setup, line by line. Both workers run in
 * one wrangler session, so the API worker's PLUGINS binding reaches the plugins worker; but
 * wrangler prints the API worker's bindings before the plugins worker has started, and marks
 * that binding `[not connected]`, then explains what the mark means. Both go: the mark from
 * that one line, the explanation unless another binding was marked (one to a worker outside
 * this session, added later, keeps its mark and the explanation).
 */
export function wranglerOutputFilter(): (line: string) => string | null {
  let otherStatusSeen = false;
  let explanationDropped = false;
  return (line) => {
    const text = stripVTControlCharacters(line);
    // The explanation is a paragraph of its own: the blank line after it goes with it.
    if (explanationDropped) {
      explanationDropped = false;
      if (text.trim() === "") return null;
    }
    if (/^env\.PLUGINS \(plugin-registry\)\s/.test(text)) {
      // Without its colours: the mark is wrapped in colour codes of its own.
      return text.replace(" [not connected]", "");
    }
    if (/\[(?:not )?connected\]/.test(text) && !text.startsWith("Service bindings, ")) otherStatusSeen = true;
    if (text.startsWith("Service bindings, Durable Object bindings, and Tail consumers connect") && !otherStatusSeen) {
      explanationDropped = true;
      return null;
    }
    return line;
  };
}
