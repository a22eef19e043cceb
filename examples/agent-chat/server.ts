/**
 * An agent plugin: `POST /chat` answers a message (model.ts) and keeps the exchange in the
 * instance's storage, one conversation per caller (`GET /chat` reads it back, `DELETE /chat`
 * clears it); `GET /functions` lists the functions the agent calls (functions.ts) and
 * `POST /functions/:name` runs one with the body as its arguments.
 */
import { definePlugin, type RequestContext, route, routes, type Storage } from "@plugins/plugin-sdk";
import { argumentProblem, FUNCTIONS, findFunction } from "./functions";
import { respond, type Turn } from "./model";

const MAX_MESSAGE_LENGTH = 2000;

/** A caller's conversation lives under its own prefix, so one caller never reads another's. */
const conversationPrefix = ({ caller }: RequestContext) => `chat/${encodeURIComponent(caller.id)}/`;

/** Keys sort in time order: the time, zero-padded, then a random part so two turns never share one. */
const turnKey = (prefix: string, at: number) => `${prefix}${String(at).padStart(15, "0")}-${crypto.randomUUID()}`;

/** Every turn under `prefix`, oldest first, with their keys. */
async function conversation(storage: Storage, prefix: string): Promise<{ key: string; value: Turn }[]> {
  const turns: { key: string; value: Turn }[] = [];
  let cursor: string | null = null;
  do {
    const page: { entries: { key: string; value: Turn }[]; cursor: string | null } = await storage.list<Turn>({
      prefix,
      cursor,
    });
    turns.push(...page.entries);
    cursor = page.cursor;
  } while (cursor !== null);
  return turns;
}

function refusal(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

/** The body as JSON (an empty one as `{}`), or undefined when it is not JSON. */
async function jsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export default definePlugin({
  fetch: routes([
    route("GET", "/chat", async (_request, context) => {
      const turns = await conversation(context.storage, conversationPrefix(context));
      return Response.json({ turns: turns.map((turn) => turn.value) });
    }),
    route("POST", "/chat", async (request, context) => {
      const body = await jsonBody(request);
      const message = typeof body === "object" && body !== null ? (body as { message?: unknown }).message : undefined;
      if (typeof message !== "string" || message.trim() === "") {
        return refusal(400, "BAD_REQUEST", 'message: is required, a non-empty string ({"message": "…"})');
      }
      if (message.length > MAX_MESSAGE_LENGTH) {
        return refusal(400, "BAD_REQUEST", `message: is longer than ${MAX_MESSAGE_LENGTH} characters`);
      }
      const prefix = conversationPrefix(context);
      const history = (await conversation(context.storage, prefix)).map((turn) => turn.value);
      // After the last turn even if the clock reads earlier, so the history keeps its order.
      const at = Math.max(Date.now(), (history.at(-1)?.at ?? 0) + 1);
      const turn: Turn = { at, message, ...respond(message, history) };
      try {
        await context.storage.put(turnKey(prefix, at), turn);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (!reason.startsWith("storage quota")) throw error;
        return refusal(409, "CONFLICT", `the conversation is full (${reason}): DELETE /chat clears it`);
      }
      return Response.json({ reply: turn.reply, functionCall: turn.functionCall, turns: history.length + 1 });
    }),
    route("DELETE", "/chat", async (_request, context) => {
      const turns = await conversation(context.storage, conversationPrefix(context));
      for (const { key } of turns) await context.storage.delete(key);
      return Response.json({ deleted: turns.length });
    }),
    route("GET", "/functions", () =>
      Response.json({
        functions: FUNCTIONS.map(({ name, description, parameters }) => ({ name, description, parameters })),
      }),
    ),
    route("POST", "/functions/:name", async (request, _context, { name }) => {
      const fn = findFunction(name);
      if (!fn) {
        const known = FUNCTIONS.map((candidate) => candidate.name).join(", ");
        return refusal(404, "NOT_FOUND", `no function ${JSON.stringify(name)}: the agent has ${known}`);
      }
      const args = await jsonBody(request);
      if (args === undefined) return refusal(400, "BAD_REQUEST", "the body must be the function's arguments as JSON");
      const problem = argumentProblem(fn, args);
      if (problem) return refusal(400, "BAD_REQUEST", problem);
      return Response.json({ name, result: fn.run(args as Record<string, unknown>) });
    }),
  ]),
});
