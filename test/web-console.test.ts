/**
 * The tenant console in Chromium against the real stack: a tenant admin installs a plugin,
 * configures it through the form generated from its config schema (a secret among the
 * fields), activates it, sees an upgrade refused with the API's reason, rolls back, finds the
 * audit entries, and creates and revokes a publish token; a viewer sees the same pages
 * without a button that changes anything.
 */
import { randomUUID } from "node:crypto";
import type { TenantManifest } from "@plugins/schema";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import { inBrowser, launchChromium } from "./chromium";
import { eventually, pluginMetadata, publish, trpc } from "./helpers";
import { callInstance, installActive, publishServerPlugin } from "./server-plugins";
import { type Stack, startStack } from "./stack";
import { expectAccessible, expectNoSidewaysScroll, type OpenedPage, openPage, screenshot, WIDTHS } from "./web-pages";

/** An optional secret (so the plugin installs without config), an enum and a default. */
const CONFIG = {
  type: "object",
  properties: {
    apiToken: { type: "string", title: "API token", writeOnly: true, minLength: 12 },
    region: { type: "string", enum: ["eu", "us"], default: "eu" },
    port: { type: "integer", minimum: 1, maximum: 65535, default: 8080 },
  },
  additionalProperties: false,
};

const SECRET = `vault-secret-${randomUUID()}`;

/** A server module that answers /ok and fails /throw, for the runtime metrics. */
const PULSE = `
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === "/throw") throw new Error("the index is corrupt");
    return new Response("fine");
  },
};
`;

let stack: Stack;
let cast: Cast;
let admin: string;
let browser: Browser;
/** An editor of initech, a tenant of its own whose one instance runs a server module. */
let ivy: string;

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  admin = await stack.token({ sub: "ada", role: "admin", tenant: "acme" });
  for (const version of ["1.0.0", "1.1.0"]) {
    await publish(stack, cast.alice, pluginMetadata({ id: "vault", name: "Vault", version, config: CONFIG }));
  }
  ivy = await stack.token({ sub: "ivy", role: "editor", tenant: "initech" });
  await publishServerPlugin(stack, ivy, { id: "pulse", server: PULSE });
  await installActive(stack, ivy, "initech", "pulse", "pulse");
  for (const path of ["/ok", "/ok", "/throw"]) await callInstance(stack, ivy, "pulse", path);
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function manifestOf(token: string): Promise<TenantManifest> {
  const response = await fetch(`${stack.url}/api/tenants/acme/plugins/manifest`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as TenantManifest;
}

/** Every response body the page received, as text: where a secret must never be. */
async function bodiesOf(opened: OpenedPage): Promise<string[]> {
  return Promise.all(opened.responses.map(async (response) => (await response.body)?.toString("utf8") ?? ""));
}

const heading = (page: Page) => page.getByRole("heading", { level: 1 });

inBrowser("web-console")("the tenant console", () => {
  it("takes a tenant admin from install to configure (a secret kept unread), activate, a refused upgrade, rollback, audit and a publish token", async () => {
    const opened = await openPage(browser, stack, { token: admin });
    const { page } = opened;
    try {
      await page.goto(`${stack.url}/console`);
      await expect.poll(() => heading(page).textContent()).toBe("Instances of acme");
      await expect.poll(() => page.getByText("No plugin is installed in acme yet").count()).toBe(1);

      // Install through the console's form.
      await page.getByLabel("Plugin id").fill("vault");
      await page.getByLabel("Version, tag or range").fill("1.0.0");
      await page.getByLabel("Instance id (optional)").fill("vault-main");
      await page.getByRole("button", { name: "Install", exact: true }).click();
      await page.waitForURL(`${stack.url}/console/instances/vault-main`);
      await expect.poll(() => heading(page).textContent()).toBe("vault-main");
      await expect.poll(() => page.getByTestId("instance-state").textContent()).toBe("installed");

      // The form generated from the schema: the secret apart, not set yet.
      const secretField = page.locator('[data-secret="apiToken"]');
      await expect.poll(() => secretField.locator(".secret-state").textContent()).toBe("not set");
      await expect.poll(() => page.getByLabel("port").inputValue()).toBe("8080");

      // A secret the schema refuses: the server's refusal, which names the field and never the value.
      await page.getByLabel("API token").fill("too-short");
      await page.getByRole("button", { name: "Save the configuration" }).click();
      const refusal = page.getByRole("alert").filter({ hasText: "The configuration was refused" });
      await expect
        .poll(() => refusal.locator(".problem-message").textContent())
        .toBe("config.apiToken: does not match the schema");

      // A value the schema refuses is caught in the page, by the platform's validator, before any call.
      await page.getByLabel("port").fill("70000");
      await page.getByRole("button", { name: "Save the configuration" }).click();
      await expect.poll(() => page.locator("#root_port__error").textContent()).toBe("70000 is greater than 65535.");
      expect(
        (await trpc(stack, admin).installations.get.query({ tenantId: "acme", instanceId: "vault-main" })).revision,
      ).toBe(1);
      await page.getByLabel("port").fill("8080");

      await page.getByLabel("API token").fill(SECRET);
      await page.getByLabel("region").selectOption("us");
      await page.getByRole("button", { name: "Save the configuration" }).click();
      await expect.poll(() => secretField.locator(".secret-state").textContent()).toBe("set");
      await expect.poll(() => page.getByRole("status").filter({ hasText: "Saved" }).count()).toBe(1);
      expect(await page.getByLabel("API token").inputValue()).toBe("");
      expect(await page.content()).not.toContain(SECRET);
      const stored = await trpc(stack, admin).installations.get.query({ tenantId: "acme", instanceId: "vault-main" });
      expect(stored.config).toEqual({ region: "us", port: 8080 });
      expect(stored.secretsSet).toEqual(["apiToken"]);

      // The secret left alone stays set when the visible fields change.
      await page.getByLabel("port").fill("8443");
      await page.getByRole("button", { name: "Save the configuration" }).click();
      await expect
        .poll(
          async () =>
            (await trpc(stack, admin).installations.get.query({ tenantId: "acme", instanceId: "vault-main" })).config,
        )
        .toEqual({ region: "us", port: 8443 });
      expect(await secretField.locator(".secret-state").textContent()).toBe("set");

      // Changed elsewhere meanwhile: the page learns it with its next read of the instance, and says so.
      await trpc(stack, admin).installations.configure.mutate({
        tenantId: "acme",
        instanceId: "vault-main",
        config: { region: "eu", port: 9000 },
      });
      // The page's view is stale: the activation is refused, and the instance read again.
      await page.getByRole("button", { name: "Activate", exact: true }).click();
      await expect
        .poll(() =>
          page.getByRole("alert").filter({ hasText: "Not done (activate)" }).locator(".problem-message").textContent(),
        )
        .toBe("Instance 'vault-main' changed meanwhile (revision 4, not 3); read it again and retry");
      await expect.poll(() => page.getByText("The configuration was changed elsewhere").count()).toBe(1);
      await page.getByRole("button", { name: "Activate", exact: true }).click();
      await expect.poll(() => page.getByTestId("instance-state").textContent()).toBe("active");
      await page.getByRole("button", { name: "Load the current configuration" }).click();
      await expect.poll(() => page.getByLabel("port").inputValue()).toBe("9000");
      expect(await page.getByLabel("region").inputValue()).toBe("0");
      await expect.poll(() => page.getByText("The configuration was changed elsewhere").count()).toBe(0);
      expect(await secretField.locator(".secret-state").textContent()).toBe("set");
      const served = (await manifestOf(admin)).plugins.find((plugin) => plugin.instanceId === "vault-main");
      expect(served?.version).toBe("1.0.0");
      expect(served?.config).toEqual({ region: "eu", port: 9000 });

      // An upgrade, then one the tenant's signature policy refuses, with the API's words.
      await page.getByLabel("Move to version, tag or range").fill("1.1.0");
      await page.getByRole("button", { name: "Upgrade" }).click();
      await expect.poll(() => page.getByTestId("instance-version").textContent()).toBe("1.1.0");
      await trpc(stack, admin).policies.set.mutate({ tenantId: "acme", requireSignatures: true });
      await publish(
        stack,
        cast.alice,
        pluginMetadata({ id: "vault", name: "Vault", version: "1.2.0", config: CONFIG }),
      );
      await stack.db.query(
        "update plugin_versions set signature = null where plugin_id = 'vault' and version = '1.2.0'",
      );
      await page.getByLabel("Move to version, tag or range").fill("1.2.0");
      await page.getByRole("button", { name: "Upgrade" }).click();
      const refused = page.getByRole("alert").filter({ hasText: "Upgrade refused" });
      await expect
        .poll(() => refused.locator(".problem-message").textContent())
        .toBe("Tenant 'acme' requires signed plugins: vault@1.2.0 is not signed");
      expect(await refused.locator(".problem-meta").textContent()).toMatch(/CONFLICT · 409 · request id \S+/);
      expect(await page.getByTestId("instance-version").textContent()).toBe("1.1.0");

      await page.getByRole("button", { name: "Roll back to 1.0.0" }).click();
      await expect.poll(() => page.getByTestId("instance-version").textContent()).toBe("1.0.0");
      expect(await refused.count()).toBe(0);
      expect(await secretField.locator(".secret-state").textContent()).toBe("set");

      // The audit log, filtered from the address bar's point of view.
      await page.getByRole("link", { name: "Audit log" }).click();
      await expect.poll(() => heading(page).textContent()).toBe("Audit log of acme");
      await page.getByLabel("Action").fill("installation.rollback");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.waitForURL(/\/console\/audit\?action=installation\.rollback$/);
      const rows = page.locator(".audit-table tbody tr");
      await expect.poll(() => rows.count()).toBe(1);
      expect(await rows.first().textContent()).toContain("installation.rollback");
      expect(await rows.first().textContent()).toContain("vault-main");
      await page.reload();
      await expect.poll(() => page.getByLabel("Action").inputValue()).toBe("installation.rollback");
      await page.getByLabel("Action").fill("installation.");
      await page.getByRole("button", { name: "Filter" }).click();
      await expect
        .poll(async () => (await page.locator(".audit-table tbody tr td:nth-child(2)").allTextContents()).sort())
        .toEqual(
          [
            "installation.activate",
            "installation.configure",
            "installation.configure",
            "installation.configure",
            "installation.install",
            "installation.rollback",
            "installation.upgrade",
          ].sort(),
        );

      // A publish token: shown once, then only its name.
      await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
      await page.getByRole("link", { name: "Publish tokens" }).click();
      await expect.poll(() => heading(page).textContent()).toBe("Publish tokens");
      await page.getByLabel("Name").fill("ci-vault");
      await page.getByLabel("Plugins").fill("vault");
      await page.getByRole("button", { name: "Create the token" }).click();
      await expect.poll(() => page.getByText("you will not see it again").count()).toBe(1);
      const token = await page.getByLabel("The new token").inputValue();
      expect(token).toMatch(/^ppt_/);
      await page.getByRole("button", { name: "Copy the token" }).click();
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(token);
      await page.getByRole("button", { name: "Done: hide it" }).click();
      await expect.poll(async () => (await page.content()).includes(token)).toBe(false);
      expect(await page.getByText("you will not see it again").count()).toBe(0);
      await page.getByRole("button", { name: "Revoke ci-vault" }).click();
      await page.getByRole("button", { name: "Yes, revoke it" }).click();
      await expect.poll(() => page.getByText(/^revoked /).count()).toBe(1);
      const [listed] = await trpc(stack, admin).tokens.list.query();
      expect(listed?.revokedAt).not.toBeNull();

      // Nothing the page received held the secret: the platform never sends it back.
      expect((await bodiesOf(opened)).filter((body) => body.includes(SECRET))).toEqual([]);
      expect(opened.problems).toEqual([]);
    } finally {
      await opened.close();
    }
  }, 120_000);

  it("shows a viewer the instances, the instance and its configuration without a button that changes anything", async () => {
    // Following latest, vault-main is held below 1.2.0, which the tenant's signature policy refuses.
    await trpc(stack, admin).installations.setUpdatePolicy.mutate({
      tenantId: "acme",
      instanceId: "vault-main",
      updatePolicy: "latest",
    });
    const opened = await openPage(browser, stack, { token: cast.vera, width: WIDTHS.phone });
    const { page } = opened;
    try {
      await page.goto(`${stack.url}/console`);
      await expect.poll(() => page.getByRole("link", { name: "vault-main" }).count()).toBe(1);
      expect(await page.getByText("You are a viewer of this tenant").count()).toBe(1);
      expect(await page.getByRole("button", { name: "Install" }).count()).toBe(0);
      // The hold is part of the instance: a viewer, who may not read the audit log, sees it too.
      const held = page.getByRole("row").filter({ hasText: "vault-main" }).locator(".held-update");
      await expect
        .poll(() => held.textContent())
        .toBe("1.2.0 held Tenant 'acme' requires signed plugins: vault@1.2.0 is not signed");
      await page.getByRole("link", { name: "vault-main" }).click();
      await expect
        .poll(() => page.getByRole("status").filter({ hasText: "Update to 1.2.0 held" }).textContent())
        .toMatch(
          /^Update to 1\.2\.0 held \(\d{4}-\d{2}-\d{2}\): Tenant 'acme' requires signed plugins: vault@1\.2\.0 is not signed$/,
        );
      await expect.poll(() => page.locator('[data-secret="apiToken"] .secret-state').textContent()).toBe("set");
      await expect.poll(() => page.getByLabel("port").inputValue()).toBe("9000");
      expect(await page.getByLabel("port").isDisabled()).toBe(true);
      // The header's sign-out is the only button on the page.
      expect(await page.getByRole("button").allTextContents()).toEqual(["Sign out"]);
      expect(await page.getByRole("link", { name: "Audit log" }).count()).toBe(0);
      expect(opened.problems).toEqual([]);
    } finally {
      await opened.close();
    }
  });
  it.each(Object.values(WIDTHS))(
    "reads well at %i px: no page of the console scrolls sideways or has a serious accessibility violation; screenshots",
    async (width) => {
      const opened = await openPage(browser, stack, { token: admin, width });
      const { page } = opened;
      try {
        for (const [name, path, title] of [
          ["console-instances", "/console", "Instances of acme"],
          ["console-instance", "/console/instances/vault-main", "vault-main"],
          ["console-audit", "/console/audit", "Audit log of acme"],
          ["console-tokens", "/console/tokens", "Publish tokens"],
        ] as const) {
          await page.goto(`${stack.url}${path}`);
          await expect.poll(() => heading(page).textContent()).toBe(title);
          await expect.poll(() => page.locator(".loading").count()).toBe(0);
          await expectNoSidewaysScroll(page);
          await expectAccessible(page, `${name} at ${width} px`);
          await screenshot(page, name);
        }
        expect(opened.problems).toEqual([]);
      } finally {
        await opened.close();
      }
    },
  );

  it("uninstalls only once confirmed in the page, by keyboard, and a cancel changes nothing", async () => {
    const opened = await openPage(browser, stack, { token: admin });
    const { page } = opened;
    const focused = () => page.evaluate(() => document.activeElement?.textContent ?? null);
    try {
      await page.goto(`${stack.url}/console/instances/vault-main`);
      await page.getByRole("button", { name: "Deactivate" }).focus();
      await page.keyboard.press("Enter");
      await expect.poll(() => page.getByTestId("instance-state").textContent()).toBe("inactive");
      await page.getByRole("button", { name: "Uninstall" }).focus();
      await page.keyboard.press("Enter");
      // The question takes the focus, on the choice that keeps things as they are.
      await expect.poll(focused).toBe("Cancel");
      expect(await page.getByText("Uninstall vault-main? Its configuration, its secrets").count()).toBe(1);
      await page.keyboard.press("Enter");
      await expect.poll(focused).toBe("Uninstall");
      expect(await page.getByTestId("instance-state").textContent()).toBe("inactive");
      await page.keyboard.press("Enter");
      await expect.poll(focused).toBe("Cancel");
      await page.keyboard.press("Shift+Tab");
      expect(await focused()).toBe("Yes, uninstall vault-main");
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/console\/?$/);
      await expect.poll(() => page.getByText("No plugin is installed in acme yet").count()).toBe(1);
      const { rows } = await stack.db.query<{ status: string; secrets_set: string[] }>(
        "select status, secrets_set from installations where tenant_id = 'acme' and instance_id = 'vault-main'",
      );
      expect(rows).toEqual([{ status: "uninstalled", secrets_set: [] }]);
      expect(opened.problems).toEqual([]);
    } finally {
      await opened.close();
    }
  });
  it("shows a server-side instance's calls, failures, latency and last error, on its page and the tenant's", async () => {
    const runtime = await eventually("the three calls of pulse recorded", async () => {
      const { runtime } = await trpc(stack, ivy).installations.metrics.query({
        tenantId: "initech",
        instanceId: "pulse",
      });
      return runtime && runtime.requests >= 3 ? runtime : undefined;
    });
    expect(runtime).toMatchObject({ requests: 3, errors: 1 });
    expect(runtime.lastError?.message).toContain("the index is corrupt");
    const opened = await openPage(browser, stack, { token: ivy });
    const { page } = opened;
    try {
      await page.goto(`${stack.url}/console`);
      const row = page.getByRole("row").filter({ hasText: "pulse" }).filter({ hasText: "the index is corrupt" });
      await expect
        .poll(() => row.locator("td").allTextContents())
        .toEqual([
          runtime.health,
          "3",
          "1",
          `${runtime.latencyMs?.p50} ms`,
          `${runtime.latencyMs?.p99} ms`,
          "0",
          "0",
          runtime.lastError?.message,
        ]);
      await page.goto(`${stack.url}/console/instances/pulse`);
      const facts = page.locator("#metrics-title ~ .facts");
      await expect
        .poll(() => facts.locator("dd").allTextContents())
        .toEqual([runtime.health, "3", "1", `${runtime.latencyMs?.p50} ms`, `${runtime.latencyMs?.p99} ms`, "0", "0"]);
      expect(await page.getByText("the index is corrupt").count()).toBe(1);
      expect(opened.problems).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});
