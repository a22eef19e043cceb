import type { PluginConfig, RequestContext } from "./context";
import type { RequestHandler } from "./define-plugin";
import { errorResponse } from "./error-response";

export type RouteMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "*";

/** The `:name` segments of a path pattern. */
type ParamNames<Path extends string> = Path extends `${string}/:${infer Name}/${infer Rest}`
  ? Name | ParamNames<`/${Rest}`>
  : Path extends `${string}/:${infer Name}`
    ? Name
    : never;

/** A path's `:name` segments, decoded, and under `"*"` the rest a `/*` pattern matched. */
export type RouteParams<Path extends string = string> = string extends Path
  ? Record<string, string>
  : { [Name in ParamNames<Path> | (Path extends `${string}/*` ? "*" : never)]: string };

export type RouteHandler<Config = PluginConfig, Path extends string = string> = (
  request: Request,
  context: RequestContext<Config>,
  params: RouteParams<Path>,
) => Response | Promise<Response>;

export interface Route<Config = PluginConfig> {
  method: RouteMethod;
  path: string;
  handler: RouteHandler<Config>;
}

/**
 * One route: `path` is matched against the request's path as the platform passes it (the part
 * after the instance's prefix, `/documents` for `/api/plugins/instances/:instanceId/documents`);
 * a segment `:name` matches any one segment but an empty one, a final `/*` any rest (none included),
 * as in the manifest's operations.
 */
export function route<Path extends string, Config = PluginConfig>(
  method: RouteMethod,
  path: Path,
  handler: RouteHandler<Config, Path>,
): Route<Config> {
  if (!path.startsWith("/")) throw new Error(`route ${method} ${path}: a path starts with "/"`);
  // matchPath captures exactly the names RouteParams<Path> lists.
  return {
    method,
    path,
    handler: (request, context, params) => handler(request, context, params as RouteParams<Path>),
  };
}

/**
 * A request handler from a table of routes, tried in order: the first whose method and path
 * match answers. A path no route has answers 404; a path whose routes take other methods, 405
 * with `Allow`; a path whose `%` escapes do not decode, 400.
 */
export function routes<Config = PluginConfig>(table: Route<Config>[]): RequestHandler<Config> {
  return (request, context) => {
    const path = new URL(request.url).pathname;
    const segments = path.split("/").slice(1);
    const allowed = new Set<string>();
    for (const { method, path: pattern, handler } of table) {
      const params = matchPath(pattern, segments);
      if (params === undefined) continue;
      if (params === null) return errorResponse(400, "BAD_REQUEST", "the request's path does not decode");
      if (takes(method, request.method)) return handler(request, context, params);
      allowed.add(method);
    }
    if (allowed.size > 0) {
      return errorResponse(
        405,
        "METHOD_NOT_SUPPORTED",
        `${request.method} ${path} is not an operation of this plugin`,
        {
          allow: [...allowed].join(", "),
        },
      );
    }
    return errorResponse(404, "NOT_FOUND", `no operation at ${path}`);
  };
}

/** As the platform's operations: a GET route answers HEAD too (no body is sent for HEAD). */
function takes(method: RouteMethod, requested: string): boolean {
  return method === "*" || method === requested || (method === "GET" && requested === "HEAD");
}

/** The params when `pattern` matches, `undefined` when it does not, `null` when a segment it captures does not decode. */
function matchPath(pattern: string, segments: string[]): RouteParams | null | undefined {
  const parts = pattern.split("/").slice(1);
  const prefix = parts.at(-1) === "*";
  if (prefix) parts.pop();
  if (prefix ? segments.length < parts.length : segments.length !== parts.length) return undefined;
  const params: RouteParams = {};
  for (const [index, part] of parts.entries()) {
    const segment = segments[index] ?? "";
    if (part.startsWith(":")) {
      if (segment === "") return undefined;
      const value = decoded(segment);
      if (value === null) return null;
      params[part.slice(1)] = value;
    } else if (part !== segment) return undefined;
  }
  if (prefix) {
    const rest = decoded(segments.slice(parts.length).join("/"));
    if (rest === null) return null;
    params["*"] = rest;
  }
  return params;
}

function decoded(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
