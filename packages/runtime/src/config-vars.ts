import { z } from "zod";

/**
 * The building blocks of each worker's `readConfig(env)`: one schema per kind of var or
 * secret. Wrangler hands vars over as strings (a TOML number as a number); an unset var, or
 * one set to "", takes its default. Anything else that is not what the var must be is
 * refused, never replaced by the default, so a typo cannot pass unnoticed.
 *
 * Each rule's message follows the var's name (`MAX_FILES must be a positive integer, got
 * "5x"`). Only a var's message quotes the value it got: a secret's, or a list's, never does.
 */

/** Any value, absent included: a var missing from env still reaches its schema, which decides. */
const absentOrAny = () => z.unknown().optional();

const isUnset = (value: unknown) => value === undefined || value === null || value === "";

/** How a refused value is quoted: short, so one absurd value cannot flood a log line. */
const quoted = (value: unknown) => JSON.stringify(String(value).slice(0, 100));

function refuse(ctx: z.RefinementCtx, rule: string, value: unknown): typeof z.NEVER {
  ctx.addIssue({ code: "custom", message: `must be ${rule}, got ${quoted(value)}` });
  return z.NEVER;
}

/** A positive whole number, or 0 too with `orZero`: digits only, no sign, unit or exponent. */
export function integerVar(fallback: number, { orZero = false }: { orZero?: boolean } = {}) {
  const min = orZero ? 0 : 1;
  const rule = orZero ? "0 or a positive integer" : "a positive integer";
  return absentOrAny().transform((value, ctx): number => {
    if (isUnset(value)) return fallback;
    const number =
      typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value) ? Number(value) : NaN;
    return Number.isSafeInteger(number) && number >= min ? number : refuse(ctx, rule, value);
  });
}

/** `"true"` or `"false"` (or a TOML boolean). */
export function booleanVar(fallback: boolean) {
  return absentOrAny().transform((value, ctx): boolean => {
    if (isUnset(value)) return fallback;
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    return refuse(ctx, '"true" or "false"', value);
  });
}

/** A comma-separated list; blanks around and between the commas are dropped. Unset is the empty list. */
export function listVar() {
  return absentOrAny().transform((value, ctx): string[] => {
    if (isUnset(value)) return [];
    if (typeof value !== "string") {
      // Not quoted: a list of secrets (retired keys) is read with this too.
      ctx.addIssue({ code: "custom", message: "must be a comma-separated list" });
      return z.NEVER;
    }
    return value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  });
}

/** Free text, or undefined when unset. */
export function textVar() {
  return absentOrAny().transform((value, ctx): string | undefined => {
    if (isUnset(value)) return undefined;
    return typeof value === "string" ? value : refuse(ctx, "text", value);
  });
}

/** An absolute http: or https: URL, or undefined when unset. The text is kept as written. */
export function urlVar() {
  return absentOrAny().transform((value, ctx): string | undefined => {
    if (isUnset(value)) return undefined;
    const url = typeof value === "string" && URL.canParse(value) ? new URL(value) : null;
    return url && (url.protocol === "https:" || url.protocol === "http:")
      ? (value as string)
      : refuse(ctx, "an absolute http(s) URL", value);
  });
}

/** A secret the worker cannot run without. Its value is never quoted. */
export function requiredSecret() {
  return absentOrAny().transform((value, ctx): string => {
    if (typeof value === "string" && value !== "") return value;
    ctx.addIssue({ code: "custom", message: isUnset(value) ? "is not set" : "must be text" });
    return z.NEVER;
  });
}

/** A secret the worker runs without (a feature is off): undefined when unset. Its value is never quoted. */
export function optionalSecret() {
  return absentOrAny().transform((value, ctx): string | undefined => {
    if (isUnset(value)) return undefined;
    if (typeof value === "string") return value;
    ctx.addIssue({ code: "custom", message: "must be text" });
    return z.NEVER;
  });
}

/** The worker's vars or secrets are not what they must be: every problem, each naming its var. */
export class ConfigError extends Error {
  override name = "ConfigError";

  constructor(readonly problems: readonly string[]) {
    super(problems.join("; "));
  }
}

/**
 * A worker's `readConfig(env)`: parses `env` with `schema` once per env object (a Worker's
 * env is the same for every request an isolate serves) and hands back the same result, or
 * throws the same ConfigError, on every later call.
 */
export function configReader<Config>(schema: z.ZodType<Config>) {
  const parsed = new WeakMap<object, Config | ConfigError>();
  return (env: object): Config => {
    let result = parsed.get(env);
    if (result === undefined) {
      const outcome = schema.safeParse(env);
      result = outcome.success
        ? outcome.data
        : new ConfigError(outcome.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`));
      parsed.set(env, result);
    }
    if (result instanceof ConfigError) throw result;
    return result;
  };
}
