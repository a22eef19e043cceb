/**
 * The functions the agent exposes (`GET /functions`) and calls itself when a message asks for
 * one: each with a JSON Schema of its parameters, as chat-model APIs describe tools.
 */

export interface ParameterSchema {
  type: "object";
  properties: Record<string, { type: "string" | "number" | "boolean"; description: string }>;
  required: string[];
  additionalProperties: false;
}

export type Arguments = Record<string, unknown>;

export interface AgentFunction {
  name: string;
  description: string;
  parameters: ParameterSchema;
  run(args: Arguments): unknown;
}

export const FUNCTIONS: readonly AgentFunction[] = [
  {
    name: "clock",
    description: "The current date and time, in UTC",
    parameters: { type: "object", properties: {}, required: [], additionalProperties: false },
    run: () => {
      const now = new Date().toISOString();
      return { now, date: now.slice(0, 10), time: now.slice(11, 16), timeZone: "UTC" };
    },
  },
  {
    name: "word_count",
    description: "How many words a text has (runs of characters between spaces)",
    parameters: {
      type: "object",
      properties: { text: { type: "string", description: "The text to count the words of" } },
      required: ["text"],
      additionalProperties: false,
    },
    run: ({ text }) => ({ words: String(text).split(/\s+/).filter(Boolean).length }),
  },
];

export function findFunction(name: string): AgentFunction | undefined {
  return FUNCTIONS.find((candidate) => candidate.name === name);
}

/**
 * What is wrong with `args` for the function's parameters (the subset of JSON Schema they use:
 * an object of typed properties, some required, no others), or null when nothing is.
 */
export function argumentProblem(fn: AgentFunction, args: unknown): string | null {
  if (typeof args !== "object" || args === null || Array.isArray(args)) return "arguments: must be a JSON object";
  const { properties, required } = fn.parameters;
  for (const name of required) {
    if (!Object.hasOwn(args, name)) return `arguments.${name}: is required by ${fn.name}`;
  }
  for (const [name, value] of Object.entries(args)) {
    const property = Object.hasOwn(properties, name) ? properties[name] : undefined;
    if (!property) return `arguments.${name}: is not a parameter of ${fn.name}`;
    if (typeof value !== property.type) return `arguments.${name}: must be a ${property.type}`;
  }
  return null;
}
