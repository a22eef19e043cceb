import type { Document } from "./upstream";

export interface SearchHit {
  id: string;
  title: string;
  updatedAt: string;
  /** Where the first word matched in the body, with a little context. */
  snippet: string;
  score: number;
}

const SNIPPET_CONTEXT = 40;

/**
 * The documents holding every word of the query (case-insensitive, in the title or the body),
 * best first: a word in the title counts three times one in the body.
 */
export function searchDocuments(documents: readonly Document[], query: string): SearchHit[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const hits: SearchHit[] = [];
  for (const document of documents) {
    const title = document.title.toLowerCase();
    const body = document.body.toLowerCase();
    let score = 0;
    for (const word of words) {
      const inWord = occurrences(title, word) * 3 + occurrences(body, word);
      if (inWord === 0) {
        score = 0;
        break;
      }
      score += inWord;
    }
    if (score === 0) continue;
    const { id, title: shownTitle, updatedAt } = document;
    hits.push({ id, title: shownTitle, updatedAt, snippet: snippet(document.body, body, words), score });
  }
  return hits.sort((a, b) => b.score - a.score || a.title.localeCompare(b.title));
}

function occurrences(text: string, word: string): number {
  let count = 0;
  for (let at = text.indexOf(word); at !== -1; at = text.indexOf(word, at + word.length)) count++;
  return count;
}

/**
 * `lowered`'s indices are `body`'s but after the rare letters whose lowercase is longer (İ),
 * where the snippet only shifts a little: not worth a second, locale-aware search.
 */
function snippet(body: string, lowered: string, words: readonly string[]): string {
  const at = Math.min(...words.map((word) => lowered.indexOf(word)).filter((index) => index !== -1));
  if (!Number.isFinite(at)) return body.slice(0, SNIPPET_CONTEXT * 2);
  const start = Math.max(0, at - SNIPPET_CONTEXT);
  const end = Math.min(body.length, at + SNIPPET_CONTEXT);
  return `${start > 0 ? "…" : ""}${body.slice(start, end)}${end < body.length ? "…" : ""}`;
}
