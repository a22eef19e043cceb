import {
  describeIssues,
  errorStatus,
  type Identity,
  isTooDeepInput,
  jsonDepthIssue,
  type Role,
  tenantRefSchema,
  trpcCodeOf,
  validationIssues,
} from "@plugins/schema";
import { initTRPC, TRPCError } from "@trpc/server";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { databaseOutage } from "../lib/database";
import { RegistryError } from "../lib/errors";
import type { Context } from "./context";

/** Our own refusal behind a failed call: a RegistryError thrown, or the database unavailable. */
function refusalOf(error: TRPCError): RegistryError | null {
  if (error.cause instanceof RegistryError) return error.cause;
  const outage = databaseOutage(error);
  return outage ? new RegistryError("SERVICE_UNAVAILABLE", outage.message) : null;
}

const t = initTRPC.context<Context>().create({
  // Stack traces never leave the worker; the message of an unexpected error is replaced.
  isDev: false,
  // `data.httpStatus` is also the status of the response (of a batch whose calls agree).
  errorFormatter({ shape, error, ctx }) {
    const requestId = ctx?.request.requestId ?? null;
    const refusal = refusalOf(error);
    if (refusal) {
      return {
        message: refusal.message,
        code: TRPC_ERROR_CODES_BY_KEY[trpcCodeOf(refusal.code)],
        data: { code: refusal.code, httpStatus: errorStatus[refusal.code], path: shape.data.path, requestId },
      };
    }
    // tRPC's own refusals (input validation, unknown procedure, method) and unexpected failures.
    const issues = validationIssues(error.cause);
    let message = issues ? describeIssues(issues) : shape.message;
    if (error.code === "INTERNAL_SERVER_ERROR" && !ctx?.exposeErrors) message = "Internal error";
    return {
      message,
      code: shape.code,
      data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, requestId },
    };
  },
});

/**
 * Outermost on every procedure: a RegistryError becomes a TRPCError of its tRPC code (the
 * error itself as the cause, for the formatter), so `onError` (trpc/handler.ts) and
 * `createCaller` see a refusal as the refusal it is, not as an unexpected failure.
 */
const refusals = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof RegistryError) {
    const refusal = result.error.cause;
    throw new TRPCError({ code: trpcCodeOf(refusal.code), message: refusal.message, cause: refusal });
  }
  return result;
});

const procedure = t.procedure.use(refusals);

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * In every procedure builder below, after the sign-in check and before any input schema:
 * an input nesting deeper than MAX_JSON_DEPTH (a POST body or a GET `input=`; in a batch,
 * call by call) is refused before any schema or handler walks it.
 */
const boundedInput = t.middleware(async ({ getRawInput, next }) => {
  if (isTooDeepInput(await getRawInput())) {
    throw new RegistryError("BAD_REQUEST", `input: a field ${jsonDepthIssue}`);
  }
  return next();
});

/** Reachable by any caller the gateway vouched for, guests included. */
export const publicProcedure = procedure.use(boundedInput);

/**
 * Procedures that need one of `allowed` roles; a guest is told to sign in instead. A
 * publish token is refused unless the procedure is `grantable` (and then checks its grant).
 */
export function roleProcedure(...allowed: Role[]) {
  return procedure.use(signedIn(false)).use(hasRole(allowed)).use(boundedInput);
}

/** For publish, deprecate and yank: a publish token may call these, within its grant. */
export function grantableProcedure(...allowed: Role[]) {
  return procedure.use(signedIn(true)).use(hasRole(allowed)).use(boundedInput);
}

/**
 * Procedures on one tenant's resources (`tenantId` in the input). Membership is checked
 * before the role, so whoever is not of the tenant gets the same 404 as for a tenant that
 * does not exist, whatever their role; members without the role get 403.
 */
export function tenantProcedure(...allowed: Role[]) {
  return procedure
    .use(signedIn(false))
    .use(boundedInput)
    .input(tenantRefSchema)
    .use(({ ctx, input, next }) => {
      assertTenantMember(ctx.identity, input.tenantId);
      return next();
    })
    .use(hasRole(allowed));
}

function signedIn(grantable: boolean) {
  return t.middleware(({ ctx, next }) => {
    if (ctx.identity.role === "guest") throw new RegistryError("UNAUTHORIZED", "Sign in to do this");
    if (ctx.grant && !grantable) {
      throw new RegistryError("FORBIDDEN", "A publish token may only publish, deprecate or yank");
    }
    return next();
  });
}

function hasRole(allowed: Role[]) {
  return t.middleware(({ ctx, next }) => {
    if (!allowed.includes(ctx.identity.role)) {
      throw new RegistryError(
        "FORBIDDEN",
        `Role '${ctx.identity.role}' may not do this; it needs ${allowed.join(" or ")}`,
      );
    }
    return next();
  });
}

/**
 * Lets the caller through to `tenantId` only if it is its own tenant (admins: any). Another
 * tenant answers 404, like a tenant that does not exist, so its existence is not disclosed.
 */
export function assertTenantMember(identity: Identity, tenantId: string): void {
  if (identity.role !== "admin" && identity.tenant !== tenantId) {
    throw new RegistryError("NOT_FOUND", `No tenant '${tenantId}'`);
  }
}
