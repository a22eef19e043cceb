import { createPlatformClient } from "@plugins/client";
import { TRPCClientError } from "@trpc/client";
import { storedToken } from "./session/bearer-token";

/** The registry's typed client, on this origin, as the signed-in user (or a guest). */
export const platform = createPlatformClient({ baseUrl: window.location.origin, token: storedToken });

/** What the UI shows of a failed call: the server's own message, code and request id. */
export interface Problem {
  message: string;
  code: string | null;
  status: number | null;
  requestId: string | null;
}

export function problemOf(error: unknown): Problem {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as { code?: string; httpStatus?: number; requestId?: string | null };
    return {
      message: error.message,
      code: data.code ?? null,
      status: data.httpStatus ?? null,
      requestId: data.requestId ?? null,
    };
  }
  if (error instanceof RestError) return error.problem;
  return { message: error instanceof Error ? error.message : String(error), code: null, status: null, requestId: null };
}

/** A refusal of one of the platform's REST routes, in its `{error:{code,message,requestId}}` envelope. */
export class RestError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

/** GET or POST a REST route of this origin as the signed-in user; refusals become a RestError. */
export async function rest<T>(path: string, init: RequestInit = {}): Promise<T> {
  const token = storedToken();
  const headers = new Headers(init.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  const response = await fetch(path, { ...init, headers });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string; requestId?: string } } | null)?.error;
    throw new RestError({
      message: error?.message ?? `${response.status} ${response.statusText}`,
      code: error?.code ?? null,
      status: response.status,
      requestId: error?.requestId ?? response.headers.get("x-request-id"),
    });
  }
  return body as T;
}
