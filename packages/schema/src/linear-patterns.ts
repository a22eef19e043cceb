import { RE2JS } from "re2js";

/**
 * Config schemas' `pattern`s and `patternProperties` keys are ECMAScript regular expressions
 * (unicode mode), written by publishers and matched against what tenants send. V8's engine
 * backtracks, so a pattern such as `^(a+)+$` takes exponential time on `aaaa…a!`. They run
 * here on RE2 (re2js), whose time is linear in the input: each pattern is translated to RE2
 * syntax with ECMAScript's meaning kept, and what RE2 cannot run the same way (lookaround,
 * backreferences, some Unicode properties) is refused rather than run differently.
 */

/**
 * Largest program a pattern may compile to. Matching costs about input length × program
 * size at worst, so this bounds the cost per character: RE2's cached DFA usually takes tens of
 * nanoseconds a character whatever the size, but a pattern that defeats it (`(a|b)*a[ab]{300}$`
 * on random a's and b's) took about 70 ns per character and instruction here, so 1000
 * instructions on a 10 KB input about 0.7 s; the budget of config-schema-cost.ts stops a check
 * well before that adds up. Real patterns (an email or host name check) take a few hundred.
 */
export const MAX_PATTERN_INSTRUCTIONS = 1000;

/** Group openings RE2 has no linear-time form of: lookahead and lookbehind. */
const LOOKAROUND = ["(?=", "(?!", "(?<=", "(?<!"];

/** The largest `{n}` and `{n,m}` RE2 accepts. */
const MAX_REPEAT = 1000;

/** A pattern that cannot run in linear time; the message names it and says why. */
export class UnrunnablePatternError extends Error {
  override name = "UnrunnablePatternError";
  constructor(
    readonly pattern: string,
    /** What is wrong, as the end of a sentence about the pattern: `cannot run in linear time: …`. */
    readonly reason: string,
  ) {
    super(`pattern ${quotedPattern(pattern)} ${reason}`);
  }
}

/** The pattern in quotes, shortened past 80 characters so that a message stays readable. */
export function quotedPattern(pattern: string): string {
  return `"${pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern}"`;
}

/**
 * A compiled pattern. `instructions` is its program size: a test costs at most about the
 * input's length times that (see config-schema-cost.ts, which charges it).
 */
export type LinearPattern = { test(input: string): boolean; instructions: number };

/**
 * Most distinct patterns one config schema may hold (refused at publish past it). The cache
 * of compiled patterns holds twice as many, so that checking a value never compiles a
 * pattern twice (a compile costs about a millisecond), even with two schemas in turn.
 */
export const MAX_SCHEMA_PATTERNS = 256;

/**
 * The pattern compiled for linear-time matching; throws `UnrunnablePatternError` for one that
 * cannot be. Compiled patterns are kept (the validator asks again for every string it checks).
 */
export function linearPattern(pattern: string): LinearPattern {
  let entry = compiled.get(pattern);
  if (entry === undefined) {
    entry = compile(pattern);
    if (compiled.size >= COMPILED_ENTRIES) compiled.delete(compiled.keys().next().value as string);
    compiled.set(pattern, entry);
  }
  if (entry instanceof UnrunnablePatternError) throw entry;
  return entry;
}

/** Whether `pattern` is compiled already, so that using it costs no compile. */
export function isCompiled(pattern: string): boolean {
  return compiled.has(pattern);
}

/** Why `pattern` is refused (`cannot run in linear time: …`), or null when it runs in linear time. */
export function patternProblem(pattern: string): string | null {
  try {
    linearPattern(pattern);
    return null;
  } catch (error) {
    if (error instanceof UnrunnablePatternError) return error.reason;
    throw error;
  }
}

const COMPILED_ENTRIES = 2 * MAX_SCHEMA_PATTERNS;
const compiled = new Map<string, LinearPattern | UnrunnablePatternError>();

function compile(pattern: string): LinearPattern | UnrunnablePatternError {
  try {
    new RegExp(pattern, "u");
  } catch {
    return new UnrunnablePatternError(pattern, "is not a valid regular expression (ECMAScript, unicode mode)");
  }
  let program: RE2JS;
  try {
    program = RE2JS.compile(toRe2Syntax(pattern));
  } catch (error) {
    const reason = error instanceof PatternRefusal ? error.message : `RE2 refuses it (${(error as Error).message})`;
    return new UnrunnablePatternError(pattern, `cannot run in linear time: ${reason}`);
  }
  const size = program.programSize();
  if (size > MAX_PATTERN_INSTRUCTIONS) {
    return new UnrunnablePatternError(
      pattern,
      `is too large to run in linear time: it compiles to ${size} instructions, at most ${MAX_PATTERN_INSTRUCTIONS}`,
    );
  }
  return { test: (input) => program.test(input), instructions: size };
}

class PatternRefusal extends Error {}

/**
 * ECMAScript's `\s`: WhiteSpace and LineTerminator, as code point ranges. RE2's `\s` is
 * ASCII only, so it is spelled out.
 */
const WHITE_SPACE: ReadonlyArray<readonly [number, number]> = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];
const MAX_CODE_POINT = 0x10ffff;
const NOT_WHITE_SPACE = complement(WHITE_SPACE);
/** What `.` matches without the `s` flag: anything but a line terminator. */
const DOT = `[^${rangesText([
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
])}]`;

/**
 * General categories by the names ECMAScript accepts, to the short names RE2 knows. `C`
 * (Other) is missing on purpose: ECMAScript counts unassigned code points in it, RE2 does not.
 */
const GENERAL_CATEGORIES: Record<string, string> = {
  Letter: "L",
  Cased_Letter: "LC",
  Uppercase_Letter: "Lu",
  Lowercase_Letter: "Ll",
  Titlecase_Letter: "Lt",
  Modifier_Letter: "Lm",
  Other_Letter: "Lo",
  Mark: "M",
  Combining_Mark: "M",
  Nonspacing_Mark: "Mn",
  Spacing_Mark: "Mc",
  Enclosing_Mark: "Me",
  Number: "N",
  Decimal_Number: "Nd",
  digit: "Nd",
  Letter_Number: "Nl",
  Other_Number: "No",
  Punctuation: "P",
  punct: "P",
  Connector_Punctuation: "Pc",
  Dash_Punctuation: "Pd",
  Open_Punctuation: "Ps",
  Close_Punctuation: "Pe",
  Initial_Punctuation: "Pi",
  Final_Punctuation: "Pf",
  Other_Punctuation: "Po",
  Symbol: "S",
  Math_Symbol: "Sm",
  Currency_Symbol: "Sc",
  Modifier_Symbol: "Sk",
  Other_Symbol: "So",
  Separator: "Z",
  Space_Separator: "Zs",
  Line_Separator: "Zl",
  Paragraph_Separator: "Zp",
  Control: "Cc",
  cntrl: "Cc",
  Format: "Cf",
  Private_Use: "Co",
};
const SHORT_CATEGORIES = new Set([...Object.values(GENERAL_CATEGORIES), "Any"]);

/**
 * One atom: a code point (which can end a range in a class), or a set of them written for use
 * inside brackets (`inClass`) and on its own (`alone`).
 */
type Atom = { codePoint: number } | { inClass: string; alone: string };

function set(inClass: string, alone = inClass): Atom {
  return { inClass, alone };
}

/**
 * The pattern in RE2 syntax, meaning what ECMAScript's unicode mode means by it. Only called
 * on patterns `new RegExp(pattern, "u")` accepts, so the grammar is known to hold. Every
 * literal is written as `\x{…}` so that nothing reads differently in RE2 (`[[:alpha:]]`,
 * `[]a]`), and groups lose their captures and names, which testing a match never reads.
 */
function toRe2Syntax(pattern: string): string {
  const chars = Array.from(pattern);
  let at = 0;
  let out = "";

  const next = (): string => {
    const char = chars[at++];
    if (char === undefined) throw new PatternRefusal("it ends inside an escape or a group");
    return char;
  };
  const hex = (count: number): number => {
    const digits = chars.slice(at, at + count).join("");
    at += count;
    return Number.parseInt(digits, 16);
  };

  /** What follows a backslash: an assertion (outside classes), a set, or a code point. */
  const escapeSequence = (inClass: boolean): Atom | { assertion: string } => {
    const char = next();
    switch (char) {
      case "d":
      case "D":
      case "w":
      case "W":
        // ASCII in both engines (no `i` flag in JSON Schema).
        return set(`\\${char}`);
      case "s":
        return set(rangesText(WHITE_SPACE), `[${rangesText(WHITE_SPACE)}]`);
      case "S":
        return set(rangesText(NOT_WHITE_SPACE), `[${rangesText(NOT_WHITE_SPACE)}]`);
      case "b":
        return inClass ? { codePoint: 0x08 } : { assertion: "\\b" };
      case "B":
        // V8 finds a non-boundary between the halves of a character outside the BMP, RE2 does not.
        throw new PatternRefusal("\\B is not supported");
      case "t":
        return { codePoint: 0x09 };
      case "n":
        return { codePoint: 0x0a };
      case "v":
        return { codePoint: 0x0b };
      case "f":
        return { codePoint: 0x0c };
      case "r":
        return { codePoint: 0x0d };
      case "0":
        return { codePoint: 0 };
      case "c":
        return { codePoint: next().charCodeAt(0) % 32 };
      case "x":
        return { codePoint: hex(2) };
      case "u":
        return { codePoint: unicodeEscape() };
      case "p":
      case "P":
        return set(unicodeProperty(char === "P"));
      case "k":
        throw new PatternRefusal("backreferences (\\k<name>) are not supported");
      default:
        if (/^[1-9]$/.test(char)) throw new PatternRefusal(`backreferences (\\${char}) are not supported`);
        // A syntax character or `-`, escaped to stand for itself.
        return { codePoint: char.codePointAt(0) as number };
    }
  };

  const unicodeEscape = (): number => {
    if (chars[at] === "{") {
      const end = chars.indexOf("}", at);
      const codePoint = Number.parseInt(chars.slice(at + 1, end).join(""), 16);
      at = end + 1;
      return notSurrogate(codePoint);
    }
    const unit = hex(4);
    if (unit >= 0xd800 && unit <= 0xdbff && chars[at] === "\\" && chars[at + 1] === "u") {
      const low = Number.parseInt(chars.slice(at + 2, at + 6).join(""), 16);
      if (low >= 0xdc00 && low <= 0xdfff) {
        at += 6;
        return 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
      }
    }
    return notSurrogate(unit);
  };

  const unicodeProperty = (negated: boolean): string => {
    const end = chars.indexOf("}", at);
    const body = chars.slice(at + 1, end).join("");
    at = end + 1;
    const [name, value] = body.includes("=") ? (body.split("=") as [string, string]) : [undefined, body];
    let re2Name: string | undefined;
    if (name === undefined || name === "General_Category" || name === "gc") {
      re2Name = SHORT_CATEGORIES.has(value) ? value : GENERAL_CATEGORIES[value];
    } else if ((name === "Script" || name === "sc") && /^[A-Z][A-Za-z_]+$/.test(value)) {
      // Scripts by their full name (Greek, Latin) mean the same in both; RE2 refuses the
      // four-letter codes, and refuses any name it does not know when the result is compiled.
      re2Name = value;
    }
    if (re2Name === undefined) throw new PatternRefusal(`the Unicode property \\p{${body}} is not supported`);
    return `\\${negated ? "P" : "p"}{${re2Name}}`;
  };

  const characterClass = (): string => {
    const negated = chars[at] === "^";
    if (negated) at++;
    const items: string[] = [];
    while (chars[at] !== "]") {
      const first = classAtom();
      if (chars[at] === "-" && chars[at + 1] !== "]" && "codePoint" in first) {
        at++;
        const last = classAtom();
        if (!("codePoint" in last)) throw new PatternRefusal("a class range ends in a set");
        items.push(`${codePointText(first.codePoint)}-${codePointText(last.codePoint)}`);
      } else {
        items.push("codePoint" in first ? codePointText(first.codePoint) : first.inClass);
      }
    }
    at++;
    // `[]` matches nothing and `[^]` anything in ECMAScript; RE2 reads `[]…` and `[^]…` otherwise.
    if (items.length === 0)
      return negated ? `[${rangesText([[0, MAX_CODE_POINT]])}]` : `[^${rangesText([[0, MAX_CODE_POINT]])}]`;
    return `[${negated ? "^" : ""}${items.join("")}]`;
  };

  const classAtom = (): Atom => {
    const char = next();
    if (char !== "\\") return { codePoint: literalCodePoint(char) };
    const atom = escapeSequence(true);
    if ("assertion" in atom) throw new PatternRefusal("an assertion is not allowed in a class");
    return atom;
  };

  while (at < chars.length) {
    const char = next();
    switch (char) {
      case "\\": {
        const atom = escapeSequence(false);
        out += "assertion" in atom ? atom.assertion : "alone" in atom ? atom.alone : codePointText(atom.codePoint);
        break;
      }
      case "[":
        out += characterClass();
        break;
      case "(":
        out += group();
        break;
      case ".":
        out += DOT;
        break;
      case "{":
        out += `{${repeat()}}`;
        break;
      case ")":
      case "|":
      case "*":
      case "+":
      case "?":
      case "^":
      case "$":
        out += char;
        break;
      default:
        out += codePointText(literalCodePoint(char));
    }
  }
  return out;

  function group(): string {
    if (chars[at] !== "?") return "(?:";
    const kind = `(${chars.slice(at, at + 3).join("")}`;
    if (kind.startsWith("(?:")) {
      at += 2;
      return "(?:";
    }
    const lookaround = LOOKAROUND.find((opening) => kind.startsWith(opening));
    if (lookaround !== undefined) throw new PatternRefusal(`lookaround ${lookaround}…) is not supported`);
    if (kind.startsWith("(?<")) {
      at = chars.indexOf(">", at) + 1;
      return "(?:";
    }
    throw new PatternRefusal(`the group ${kind.slice(0, 3)}… is not supported`);
  }

  function repeat(): string {
    const end = chars.indexOf("}", at);
    const bounds = chars.slice(at, end).join("");
    at = end + 1;
    if (bounds.split(",").some((bound) => bound !== "" && Number(bound) > MAX_REPEAT)) {
      throw new PatternRefusal(`a repetition {${bounds}} counts past ${MAX_REPEAT}`);
    }
    return bounds;
  }
}

function literalCodePoint(char: string): number {
  return notSurrogate(char.codePointAt(0) as number);
}

/** A lone surrogate matches half a character in ECMAScript; RE2 sees whole code points only. */
function notSurrogate(codePoint: number): number {
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) {
    throw new PatternRefusal(`the lone surrogate \\u${codePoint.toString(16)} is not supported`);
  }
  return codePoint;
}

function codePointText(codePoint: number): string {
  return /^[A-Za-z0-9_]$/.test(String.fromCodePoint(codePoint))
    ? String.fromCodePoint(codePoint)
    : `\\x{${codePoint.toString(16)}}`;
}

function rangesText(ranges: ReadonlyArray<readonly [number, number]>): string {
  return ranges
    .map(([low, high]) => (low === high ? codePointText(low) : `${codePointText(low)}-${codePointText(high)}`))
    .join("");
}

function complement(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const result: Array<[number, number]> = [];
  let from = 0;
  for (const [low, high] of ranges) {
    if (low > from) result.push([from, low - 1]);
    from = high + 1;
  }
  if (from <= MAX_CODE_POINT) result.push([from, MAX_CODE_POINT]);
  return result;
}
