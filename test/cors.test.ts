import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./stack";

const APP = "https://app.example.com";
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ apiBindings: { CORS_ORIGINS: `${APP}, https://admin.example.com` } });
});
afterAll(() => stack?.stop());

describe("CORS for /api and /trpc", () => {
  it.each(["/trpc/plugins.search", "/api/plugins/install"])(
    "answers a preflight to %s from an allowed origin",
    async (path) => {
      const response = await fetch(`${stack.url}${path}`, {
        method: "OPTIONS",
        headers: {
          origin: APP,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(APP);
      expect(response.headers.get("access-control-allow-headers")).toContain("authorization");
      expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    },
  );

  it("does not allow an origin outside the list", async () => {
    const response = await fetch(`${stack.url}/trpc/plugins.search`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example.com", "access-control-request-method": "POST" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets an allowed page read answers and refusals, with the request id exposed", async () => {
    const ok = await fetch(`${stack.url}/trpc/health.check`, { headers: { origin: APP } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(APP);
    expect(ok.headers.get("access-control-expose-headers")).toContain("x-request-id");

    const refused = await fetch(`${stack.url}/trpc/plugins.search`, {
      headers: { origin: APP, authorization: "Bearer not-a-token" },
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe(APP);
  });

  it("keeps bundle URLs open to every origin", async () => {
    const response = await fetch(`${stack.url}/plugins/bundles/missing/v1.0.0/index.js`, {
      headers: { origin: "https://any.example.org" },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });
});
