import { type ErrorCode, errorEnvelope, errorStatus, isErrorCode, trpcCodeOf } from "@plugins/schema";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { describe, expect, it } from "vitest";

const codes = Object.keys(errorStatus) as ErrorCode[];

describe("the platform's error codes, as the plugins worker maps them to tRPC", () => {
  it("are a closed set", () => {
    expect(codes.sort()).toEqual([
      "BAD_GATEWAY",
      "BAD_REQUEST",
      "CONFLICT",
      "FORBIDDEN",
      "GATEWAY_TIMEOUT",
      "GONE",
      "INTERNAL_SERVER_ERROR",
      "METHOD_NOT_SUPPORTED",
      "NOT_FOUND",
      "PAYLOAD_TOO_LARGE",
      "SERVICE_UNAVAILABLE",
      "TOO_MANY_REQUESTS",
      "UNAUTHORIZED",
      "UNSUPPORTED_MEDIA_TYPE",
    ]);
    expect(isErrorCode("GONE")).toBe(true);
    expect(isErrorCode("TEAPOT")).toBe(false);
    expect(isErrorCode("toString")).toBe(false);
  });

  it.each(codes.filter((code) => code !== "GONE"))(
    "maps %s to the tRPC code of its name, at tRPC's status for it",
    (code) => {
      const trpc = trpcCodeOf(code);
      expect(trpc).toBe(code);
      expect(TRPC_ERROR_CODES_BY_KEY[trpc]).toEqual(expect.any(Number));
      expect(errorStatus[code]).toBe(getHTTPStatusCodeFromError(new TRPCError({ code: trpc })));
    },
  );

  it("maps GONE, which tRPC lacks, to NOT_FOUND's JSON-RPC code, at HTTP 410", () => {
    expect(trpcCodeOf("GONE")).toBe("NOT_FOUND");
    expect(errorStatus.GONE).toBe(410);
  });

  it("give every code its own HTTP status", () => {
    expect(new Set(codes.map((code) => errorStatus[code])).size).toBe(codes.length);
  });

  it("answer the REST envelope with the request id", () => {
    expect(errorEnvelope("GONE", "a@1.0.0 was blocked", "req-1")).toEqual({
      error: { code: "GONE", message: "a@1.0.0 was blocked", requestId: "req-1" },
    });
  });
});
