/** A media type as RFC 7231 §3.1.1.1 writes it, its parameters in the order they came. */
export interface MediaType {
  /** `type/subtype`, lowercased. */
  essence: string;
  /** Names lowercased, values as meant: quotes dropped, quoted-pairs unescaped. */
  parameters: ReadonlyArray<{ name: string; value: string }>;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
// qdtext and quoted-pair (RFC 7230 §3.2.6), obs-text included.
const QUOTED_STRING = '"(?:[\\t\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t\\x20-\\x7e\\x80-\\xff])*"';
const ESSENCE = new RegExp(`^[\\t ]*(${TOKEN}/${TOKEN})`, "y");
const PARAMETER = new RegExp(`[\\t ]*;[\\t ]*(${TOKEN})=(${TOKEN}|${QUOTED_STRING})`, "y");
const TRAILING_WHITESPACE = /[\t ]*$/y;

/**
 * Reads a Content-Type by the grammar of RFC 7231 (`type "/" subtype *( OWS ";" OWS
 * parameter )`), or null when it does not follow it. Stricter than browsers' MIME sniffing
 * on purpose: a header this reads is one that every parser reads the same way, and one it
 * cannot read is refused rather than guessed at. Duplicate parameters are kept, in order,
 * so a caller can refuse them (parsers disagree on which one wins).
 */
export function parseMediaType(header: string): MediaType | null {
  ESSENCE.lastIndex = 0;
  const essence = ESSENCE.exec(header);
  if (!essence?.[1]) return null;
  const parameters: Array<{ name: string; value: string }> = [];
  let at = ESSENCE.lastIndex;
  for (;;) {
    PARAMETER.lastIndex = at;
    const parameter = PARAMETER.exec(header);
    if (!parameter?.[1] || parameter[2] === undefined) break;
    const raw = parameter[2];
    const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/gs, "$1") : raw;
    parameters.push({ name: parameter[1].toLowerCase(), value });
    at = PARAMETER.lastIndex;
  }
  TRAILING_WHITESPACE.lastIndex = at;
  TRAILING_WHITESPACE.exec(header);
  if (TRAILING_WHITESPACE.lastIndex !== header.length) return null;
  return { essence: essence[1].toLowerCase(), parameters };
}
