import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { describe, expect, it } from "vitest";
import { type ErrorCode, errorBody, errorCodes, RegistryError } from "./errors";

const codes = Object.keys(errorCodes) as ErrorCode[];

describe("errorCodes", () => {
  it("is the closed set of codes the plugins worker answers with", () => {
    expect(codes.sort()).toEqual([
      "BAD_REQUEST",
      "CONFLICT",
      "FORBIDDEN",
      "GONE",
      "INTERNAL_SERVER_ERROR",
      "NOT_FOUND",
      "PAYLOAD_TOO_LARGE",
      "SERVICE_UNAVAILABLE",
      "UNAUTHORIZED",
    ]);
  });

  it.each(codes.filter((code) => code !== "GONE"))(
    "maps %s to the tRPC code of its name and tRPC's status for it",
    (code) => {
      const { trpc, status } = errorCodes[code];
      expect(trpc).toBe(code);
      expect(TRPC_ERROR_CODES_BY_KEY[trpc]).toEqual(expect.any(Number));
      expect(status).toBe(getHTTPStatusCodeFromError(new TRPCError({ code: trpc })));
    },
  );

  it("maps GONE, which tRPC lacks, to NOT_FOUND's JSON-RPC code and HTTP 410", () => {
    expect(errorCodes.GONE).toEqual({ trpc: "NOT_FOUND", status: 410 });
  });

  it("gives every code its own HTTP status", () => {
    const statuses = codes.map((code) => errorCodes[code].status);
    expect(new Set(statuses).size).toBe(codes.length);
  });
});

describe("errorBody", () => {
  it("is the gateway's envelope, with the request id", () => {
    expect(errorBody(new RegistryError("GONE", "a@1.0.0 was blocked"), "req-1")).toEqual({
      error: { code: "GONE", message: "a@1.0.0 was blocked", requestId: "req-1" },
    });
  });
});
