import type {
  AnyTRPCProcedure,
  AnyTRPCRouter,
  inferProcedureInput,
  inferProcedureOutput,
  TRPCBuiltRouter,
  TRPCMutationProcedure,
  TRPCQueryProcedure,
  TRPCRouterRecord,
  TRPCSubscriptionProcedure,
} from "@trpc/server";
// A relative path, not the worker's package name, so that the declaration emitter can name
// what it meets (it refuses names reached through another package's node_modules link).
import type { AppRouter as PlatformRouter } from "../../../workers/plugins/src/trpc/root";

/*
 * The registry's router as a client sees it, and nothing of the server.
 *
 * `typeof appRouter` carries the server's context (the drizzle database, the R2 bucket, the
 * plugin engine) in its root config, and names of its rows (drizzle's inferred models), so a
 * declaration of it reaches into drizzle, Hono and the Workers types. The view below keeps
 * what `createTRPCClient` reads (each procedure's kind, input and output; the error shape;
 * the transformer) and drops the context. Its helper types are declared inside a function on
 * purpose: the declaration emitter cannot name them from outside it, so it writes the types
 * they produce out in full, as plain object types, down to every output's fields. The emitted
 * `dist/index.d.ts` then needs only `@trpc/server`, whatever the worker's source imports, and
 * stays in step with the router at every build (test/client-package.test.ts compiles it in a
 * project that has nothing else).
 */
function clientView<Router extends AnyTRPCRouter>() {
  /** A value as it is typed on the wire: every named server type spelled out. */
  type Plain<Value> = Value extends Date | FormData | Blob
    ? Value
    : Value extends string
      ? `${Value}` // rebuilt, so that a union of literals loses its alias (`Exclude<VersionStatus, …>`)
      : Value extends object
        ? { [Key in keyof Value]: Plain<Value[Key]> }
        : Value;
  type Def<Procedure extends AnyTRPCProcedure> = {
    input: Plain<inferProcedureInput<Procedure>>;
    output: Plain<inferProcedureOutput<Procedure>>;
    meta: object;
  };
  type ProcedureView<Procedure extends AnyTRPCProcedure> = Procedure["_def"]["type"] extends "query"
    ? TRPCQueryProcedure<Def<Procedure>>
    : Procedure["_def"]["type"] extends "mutation"
      ? TRPCMutationProcedure<Def<Procedure>>
      : TRPCSubscriptionProcedure<Def<Procedure>>;
  type RecordView<Record> = {
    [Name in keyof Record]: Record[Name] extends AnyTRPCProcedure
      ? ProcedureView<Record[Name]>
      : Record[Name] extends TRPCRouterRecord
        ? RecordView<Record[Name]>
        : never;
  };
  type Root = Router["_def"]["_config"]["$types"];
  return null as unknown as TRPCBuiltRouter<
    { ctx: object; meta: object; errorShape: Root["errorShape"]; transformer: Root["transformer"] },
    RecordView<Router["_def"]["record"]>
  >;
}

// Inferred, not annotated, so that the emitter writes its type out. Never run: every module
// of the package imports this one for its types only, and the bundler leaves it out.
const view = clientView<PlatformRouter>();

/** The registry's typed API, for `createTRPCClient<AppRouter>`. */
export type AppRouter = typeof view;
