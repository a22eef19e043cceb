import { DatabaseError } from "@neondatabase/serverless";
import { TRPCError } from "@trpc/server";
import { DrizzleQueryError } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { DatabaseUnavailable, databaseOutage } from "./database";

function serverError(code: string): DatabaseError {
  const error = new DatabaseError(`server said ${code}`, 0, "error");
  error.code = code;
  return error;
}

/** How a procedure's failure reaches the error formatter: drizzle's wrapper inside tRPC's. */
function asProcedureFailure(cause: unknown): TRPCError {
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: new DrizzleQueryError("select 1", [], cause as Error) });
}

describe("databaseOutage", () => {
  it.each([
    ["57014", /statement_timeout/],
    ["57P01", /shutting down or starting up/],
    ["57P03", /shutting down or starting up/],
    ["25P03", /idle too long/],
    ["55P03", /lock/],
    ["08006", /connection to the database failed/],
    ["53300", /out of connections/],
  ])("calls the server's SQLSTATE %s an outage", (code, message) => {
    expect(databaseOutage(asProcedureFailure(serverError(code)))?.message).toMatch(message);
  });

  it.each(["23505", "42601", "22P02", "40001"])(
    "leaves SQLSTATE %s, an answer about the statement, to be a 500",
    (code) => {
      expect(databaseOutage(asProcedureFailure(serverError(code)))).toBeNull();
    },
  );

  it("calls a statement the driver got no answer to an outage", () => {
    expect(databaseOutage(asProcedureFailure(new Error("Connection terminated unexpectedly")))?.message).toBe(
      "The connection to the database was lost or timed out",
    );
  });

  it("leaves a value the driver could not serialise, a bug, to be a 500", () => {
    expect(databaseOutage(asProcedureFailure(new TypeError("Converting circular structure to JSON")))).toBeNull();
  });

  it("finds a DatabaseUnavailable however deep, and keeps its own message", () => {
    const connect = new DatabaseUnavailable("The database did not accept a connection within 3000 ms");
    const pooled = new Error("Connection terminated due to connection timeout", { cause: connect });
    expect(databaseOutage(asProcedureFailure(pooled))).toBe(connect);
    expect(databaseOutage(new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: connect }))).toBe(connect);
  });

  it("does not call errors of our own code outages", () => {
    expect(databaseOutage(new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: new Error("a bug") }))).toBeNull();
    expect(databaseOutage(new Error("a bug"))).toBeNull();
    expect(databaseOutage("not an error")).toBeNull();
  });
});
