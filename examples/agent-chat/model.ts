/**
 * The agent's "model": a few deterministic rules in place of a language model, so the example
 * needs no network. A rule may call one of the agent's functions, whose result makes the reply,
 * and one reads the conversation so far, which is why it is kept.
 */
import { type Arguments, findFunction } from "./functions";

export interface FunctionCall {
  name: string;
  arguments: Arguments;
  result: unknown;
}

/** One exchange of a conversation: what the caller said and what the agent answered. */
export interface Turn {
  at: number;
  message: string;
  reply: string;
  functionCall: FunctionCall | null;
}

export interface Reply {
  reply: string;
  functionCall: FunctionCall | null;
}

type Rule = (message: string, history: readonly Turn[]) => Reply | null;

const HELP = 'Ask me what time it is, to "count the words in …", or what you said before.';

const RULES: readonly Rule[] = [
  (message) => {
    if (!/\bwhat(?:'s| is) the time\b|\bwhat time is it\b/i.test(message)) return null;
    const call = callFunction("clock", {});
    const { date, time } = call.result as { date: string; time: string };
    return { reply: `It is ${time} UTC on ${date}.`, functionCall: call };
  },
  (message) => {
    const match = /^count the words in:?\s+(.+)$/is.exec(message.trim());
    if (!match?.[1]) return null;
    const call = callFunction("word_count", { text: match[1] });
    const { words } = call.result as { words: number };
    return { reply: `That is ${words} word${words === 1 ? "" : "s"}.`, functionCall: call };
  },
  (message, history) => {
    if (!/\bwhat did i (?:just )?say\b/i.test(message)) return null;
    const last = history.at(-1);
    return {
      reply: last ? `You said: "${last.message}"` : "You have not said anything before.",
      functionCall: null,
    };
  },
  (message) => (/^(?:hi|hello|hey)\b/i.test(message.trim()) ? { reply: `Hello! ${HELP}`, functionCall: null } : null),
];

/** The agent's answer to `message`, given the conversation before it (oldest first). */
export function respond(message: string, history: readonly Turn[]): Reply {
  for (const rule of RULES) {
    const reply = rule(message, history);
    if (reply) return reply;
  }
  return { reply: `You said: "${message}". ${HELP}`, functionCall: null };
}

function callFunction(name: string, args: Arguments): FunctionCall {
  const fn = findFunction(name);
  if (!fn) throw new Error(`the model called ${name}, which the agent does not have`);
  return { name, arguments: args, result: fn.run(args) };
}
