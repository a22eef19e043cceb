import { describe, expect, it } from "vitest";
import { ALICE, fakeEnv } from "../test/fake-env";
import { type RequestContext, requestContext } from "./context";
import { route, routes } from "./routes";

const context: RequestContext = requestContext(fakeEnv({ caller: ALICE }), () => {});
const request = (method: string, path: string) => new Request(`https://plugin.invalid${path}`, { method });

const handler = routes([
  route("GET", "/documents", () => new Response("list")),
  route("GET", "/documents/:id", (_request, _context, { id }) => new Response(`document ${id}`)),
  route("DELETE", "/documents/:id", (_request, _context, { id }) => new Response(`deleted ${id}`)),
  route("POST", "/sync", (_request, { caller }) => new Response(`sync by ${caller.id}`)),
  route("GET", "/files/:folder/*", (_request, _context, params) => Response.json(params)),
  route("*", "/echo", (incoming) => new Response(incoming.method)),
  route("GET", "/", () => new Response("root")),
]);

async function answer(method: string, path: string) {
  const response = await handler(request(method, path), context);
  return { status: response.status, body: await response.text(), allow: response.headers.get("allow") };
}

describe("routes", () => {
  it.each([
    ["GET", "/documents", "list"],
    ["GET", "/documents/a%20b", "document a b"],
    ["DELETE", "/documents/7", "deleted 7"],
    ["POST", "/sync", "sync by alice"],
    ["GET", "/files/reports/2026/q1.pdf", '{"folder":"reports","*":"2026/q1.pdf"}'],
    ["GET", "/files/reports", '{"folder":"reports","*":""}'],
    ["PATCH", "/echo", "PATCH"],
    ["HEAD", "/documents", "list"],
    ["GET", "/", "root"],
  ])("%s %s reaches its route", async (method, path, body) => {
    expect(await answer(method, path)).toEqual({ status: 200, body, allow: null });
  });

  it("answers the first route that matches", async () => {
    const first = routes([
      route("GET", "/a/:x", () => new Response("param")),
      route("GET", "/a/b", () => new Response("fixed")),
    ]);
    expect(await (await first(request("GET", "/a/b"), context)).text()).toBe("param");
  });

  it("answers 404 in the error envelope for a path no route has", async () => {
    for (const path of ["/nothing", "/documents/7/more", "/documents/", "/files"]) {
      const { status, body } = await answer("GET", path);
      expect(status).toBe(404);
      expect(JSON.parse(body)).toEqual({ error: { code: "NOT_FOUND", message: `no operation at ${path}` } });
    }
  });

  it("answers 405 with Allow for a method the path's routes do not take", async () => {
    const { status, body, allow } = await answer("PUT", "/documents/7");
    expect({ status, allow }).toEqual({ status: 405, allow: "GET, DELETE" });
    expect((await answer("HEAD", "/sync")).status).toBe(405);
    expect(JSON.parse(body).error).toEqual({
      code: "METHOD_NOT_SUPPORTED",
      message: "PUT /documents/7 is not an operation of this plugin",
    });
  });

  it("answers 400 for a path whose escapes do not decode", async () => {
    const { status, body } = await answer("GET", "/documents/%E0%A4%A");
    expect(status).toBe(400);
    expect(JSON.parse(body).error.code).toBe("BAD_REQUEST");
  });

  it("refuses a route whose path does not start with /", () => {
    expect(() => route("GET", "documents", () => new Response())).toThrow(
      'route GET documents: a path starts with "/"',
    );
  });
});
