import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "./helpers";
import { type Stack, startStack } from "./stack";

const HTML = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

/** The script the built index.html loads: the app's entry, under /assets/. */
async function entryScript(stack: Stack): Promise<string> {
  const html = await (await fetch(`${stack.url}/`, { headers: HTML })).text();
  const src = /<script type="module" crossorigin src="([^"]+)"/.exec(html)?.[1];
  expect(src).toMatch(/^\/assets\/index-[\w-]+\.js$/);
  return src as string;
}

describe("the marketplace and console, served by the API worker", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it("answers a browser's GET / with the app's page, under a strict Content-Security-Policy", async () => {
    const response = await fetch(`${stack.url}/`, { headers: HTML });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('<div id="root"></div>');
    // No inline script anywhere in the page: every <script> has a src under /assets/.
    expect(html.match(/<script\b[^>]*>/g)?.every((tag) => / src="\/assets\//.test(tag))).toBe(true);
    const policy = response.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain(`script-src ${stack.url}/assets/`);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("cache-control")).toBe("no-cache");
  });

  it("keeps answering GET / with the JSON service index to curl and API clients", async () => {
    const response = await fetch(`${stack.url}/`, { headers: { accept: "application/json" } });
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await response.json()) as { links: object }).links).toHaveProperty("trpc", "/trpc");
  });

  it("serves the app's hashed files as immutable, with their types", async () => {
    const response = await fetch(`${stack.url}${await entryScript(stack)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/javascript/);
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await response.text()).length).toBeGreaterThan(1000);
  });

  it.each(["/plugin/charts", "/console", "/console/instances/dropbox", "/sign-in"])(
    "answers the app route %s with the page, so a link to it can be opened and reloaded",
    async (path) => {
      const response = await fetch(`${stack.url}${path}`, { headers: HTML });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<div id="root"></div>');
      expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    },
  );

  it.each(["/api/nothing-here", "/trpc/nothing.here", "/plugins/bundles/nothing@1.0.0/index.js", "/health/more"])(
    "keeps the platform's JSON 404 for the unknown platform path %s, even for a browser",
    async (path) => {
      const response = await fetch(`${stack.url}${path}`, { headers: HTML });
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    },
  );

  it("answers curl's GET of an unknown path, and a missing file of the app, with the JSON 404", async () => {
    await expectError(await fetch(`${stack.url}/nothing`), 404, "NOT_FOUND");
    await expectError(await fetch(`${stack.url}/assets/missing.js`, { headers: HTML }), 404, "NOT_FOUND");
    await expectError(await fetch(`${stack.url}/v1.0.0/other/bundle.js`, { headers: HTML }), 404, "NOT_FOUND");
  });

  it("refuses other methods on app paths as before, without touching the assets", async () => {
    const response = await fetch(`${stack.url}/console`, { method: "POST" });
    await expectError(response, 404, "NOT_FOUND");
  });

  it("does not offer the dev sign-in outside development (ENVIRONMENT=test here)", async () => {
    await expectError(await fetch(`${stack.url}/api/dev/session`), 404, "NOT_FOUND");
    const before = await stack.snapshot();
    const signIn = await fetch(`${stack.url}/api/dev/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sub: "mallory", tenant: "acme", role: "admin" }),
    });
    await expectError(signIn, 404, "NOT_FOUND");
    expect(await stack.snapshot()).toEqual(before);
  });
});

describe("the dev sign-in on a local stack (ENVIRONMENT=development)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ apiBindings: { ENVIRONMENT: "development" } });
  });
  afterAll(() => stack?.stop());

  const signIn = (body: unknown) =>
    fetch(`${stack.url}/api/dev/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("says it is available, and signs a token the platform then accepts with that identity", async () => {
    const session = await fetch(`${stack.url}/api/dev/session`);
    expect(await session.json()).toEqual({ available: true });
    const answer = await signIn({ sub: "dana", tenant: "acme", role: "editor" });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    const { token } = (await answer.json()) as { token: string };
    const tokens = await fetch(`${stack.url}/trpc/tokens.list`, { headers: { authorization: `Bearer ${token}` } });
    expect(tokens.status).toBe(200);
    const audit = await fetch(
      `${stack.url}/trpc/audit.list?input=${encodeURIComponent(JSON.stringify({ tenantId: "acme" }))}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(audit.status).toBe(200);
  });

  it.each([
    ["no JSON", "{", "not valid JSON"],
    ["a guest role", { sub: "dana", tenant: "acme", role: "guest" }, "role"],
    ["a bad tenant id", { sub: "dana", tenant: "Not A Slug", role: "admin" }, "tenant"],
    ["no user", { tenant: "acme", role: "admin" }, "sub"],
    ["an unknown claim", { sub: "dana", tenant: "acme", role: "admin", iss: "elsewhere" }, "iss"],
  ])("refuses %s with a 400 naming the problem", async (_case, body, named) => {
    expect(await expectError(await signIn(body), 400, "BAD_REQUEST")).toContain(named);
  });
});
