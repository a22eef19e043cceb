import {
  describeIssues,
  type Identity,
  isTooDeepInput,
  jsonDepthIssue,
  type Role,
  tenantRefSchema,
  validationIssues,
} from "@plugins/schema";
import { initTRPC, TRPCError } from "@trpc/server";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { databaseOutage } from "../lib/database";
import type { Context } from "./context";

/** Marks a NOT_FOUND that is permanent (a blocked version): REST answers it with 410. */
class Gone extends Error {}

export function gone(message: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message, cause: new Gone(message) });
}

const t = initTRPC.context<Context>().create({
  // Stack traces never leave the worker; the message of an unexpected error is replaced.
  isDev: false,
  errorFormatter({ shape, error, ctx }) {
    const outage = databaseOutage(error);
    if (outage) {
      return {
        message: outage.message,
        code: TRPC_ERROR_CODES_BY_KEY.SERVICE_UNAVAILABLE,
        data: {
          code: "SERVICE_UNAVAILABLE" as const,
          httpStatus: 503,
          path: shape.data.path,
          requestId: ctx?.request.requestId ?? null,
          gone: false,
        },
      };
    }
    const issues = validationIssues(error.cause);
    let message = issues ? describeIssues(issues) : shape.message;
    if (error.code === "INTERNAL_SERVER_ERROR" && !ctx?.exposeErrors) message = "Internal error";
    return {
      message,
      code: shape.code,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        requestId: ctx?.request.requestId ?? null,
        gone: error.cause instanceof Gone,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * In every procedure builder below, after the sign-in check and before any input schema:
 * an input nesting deeper than MAX_JSON_DEPTH (a POST body or a GET `input=`; in a batch,
 * call by call) is refused before any schema or handler walks it.
 */
const boundedInput = t.middleware(async ({ getRawInput, next }) => {
  if (isTooDeepInput(await getRawInput())) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `input: a field ${jsonDepthIssue}` });
  }
  return next();
});

/** Reachable by any caller the gateway vouched for, guests included. */
export const publicProcedure = t.procedure.use(boundedInput);

/**
 * Procedures that need one of `allowed` roles; a guest is told to sign in instead. A
 * publish token is refused unless the procedure is `grantable` (and then checks its grant).
 */
export function roleProcedure(...allowed: Role[]) {
  return t.procedure.use(signedIn(false)).use(hasRole(allowed)).use(boundedInput);
}

/** For publish, deprecate and yank: a publish token may call these, within its grant. */
export function grantableProcedure(...allowed: Role[]) {
  return t.procedure.use(signedIn(true)).use(hasRole(allowed)).use(boundedInput);
}

/**
 * Procedures on one tenant's resources (`tenantId` in the input). Membership is checked
 * before the role, so whoever is not of the tenant gets the same 404 as for a tenant that
 * does not exist, whatever their role; members without the role get 403.
 */
export function tenantProcedure(...allowed: Role[]) {
  return t.procedure
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
    if (ctx.identity.role === "guest") throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to do this" });
    if (ctx.grant && !grantable) {
      throw new TRPCError({ code: "FORBIDDEN", message: "A publish token may only publish, deprecate or yank" });
    }
    return next();
  });
}

function hasRole(allowed: Role[]) {
  return t.middleware(({ ctx, next }) => {
    if (!allowed.includes(ctx.identity.role)) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `Role '${ctx.identity.role}' may not do this; it needs ${allowed.join(" or ")}`,
      });
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
    throw new TRPCError({ code: "NOT_FOUND", message: `No tenant '${tenantId}'` });
  }
}
