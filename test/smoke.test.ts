import { afterAll, beforeAll, expect, it } from "vitest";
import { type Stack, startStack } from "./stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.stop());

it("health", async () => {
  const res = await fetch(`${stack.url}/health`);
  console.log(res.status, await res.text());
});

it("upload", async () => {
  const token = await stack.token({ sub: "alice", role: "admin", tenant: "acme" });
  const form = new FormData();
  form.set("file", new File(["export default 1;"], "plugin.js"));
  form.set(
    "metadata",
    JSON.stringify({
      id: "test-plugin",
      name: "Test",
      version: "1.0.0",
      description: "d",
      category: "payment",
      extensionPoints: ["payment-methods"],
    }),
  );
  const res = await fetch(`${stack.url}/api/plugins/upload`, {
    method: "POST",
    body: form,
    headers: { authorization: `Bearer ${token}` },
  });
  console.log(res.status, await res.text());
  const b = await fetch(`${stack.url}/plugins/bundles/test-plugin/v1.0.0/bundle.js`);
  console.log(b.status, [...b.headers], await b.text());
  expect(1).toBe(1);
});
