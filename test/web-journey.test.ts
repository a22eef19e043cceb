/**
 * The journey through the web UI in one browser session, as a tenant admin lives it:
 * search → the plugin's page (readme, versions, chart) → sign in on the sign-in page →
 * install → configure with a secret → activate → the instance in the tenant manifest → an
 * upgrade refused with its reason → a rollback → the audit entries → a publish token created
 * and revoked. The console's and marketplace's own suites test each step's variants.
 */
import type { TenantManifest } from "@plugins/schema";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Cast, mintCast } from "./cast";
import { inBrowser, launchChromium } from "./chromium";
import { pluginMetadata, publish, trpc } from "./helpers";
import { type Stack, startStack } from "./stack";
import { openPage } from "./web-pages";

const CONFIG = {
  type: "object",
  properties: {
    apiKey: { type: "string", title: "API key", writeOnly: true, minLength: 8 },
    channel: { type: "string", title: "Channel", default: "#general" },
  },
  additionalProperties: false,
};
const SECRET = "journey-secret-value-1234";

let stack: Stack;
let cast: Cast;
let admin: string;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  cast = await mintCast(stack);
  admin = await stack.token({ sub: "june", role: "admin", tenant: "acme" });
  for (const version of ["1.0.0", "1.1.0"]) {
    await publish(
      stack,
      cast.alice,
      pluginMetadata({
        id: "notifier",
        name: "Notifier",
        version,
        category: "messaging",
        description: "Posts checkout events to a chat channel",
        readme: { text: `# Notifier ${version}\n\nPosts **checkout** events to your team chat.` },
        config: CONFIG,
      }),
    );
  }
  await stack.db.query(
    "insert into download_counts (plugin_id, version, day, count) values ('notifier', '1.1.0', current_date, 12)",
  );
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const heading = (page: Page) => page.getByRole("heading", { level: 1 });

inBrowser("web-journey")("a tenant admin's journey through the web UI", () => {
  it("searches, reads, signs in, installs, configures, activates, is refused an upgrade, rolls back, audits and manages a token", async () => {
    const opened = await openPage(browser, stack);
    const { page } = opened;
    try {
      // Search, then the plugin's page.
      await page.goto(`${stack.url}/`);
      await page.getByLabel("Search plugins").fill("checkout chat");
      await page.getByLabel("Search plugins").press("Enter");
      await expect.poll(() => page.locator(".result-title").allTextContents()).toEqual(["Notifier"]);
      await page.getByRole("link", { name: "Notifier" }).click();
      await page.waitForURL(`${stack.url}/plugin/notifier`);
      await expect.poll(() => page.locator(".readme strong").textContent()).toBe("checkout");
      expect(await page.locator(".readme h3").textContent()).toBe("Notifier 1.1.0");
      expect(await page.locator("section[aria-labelledby=versions-title] tbody tr").count()).toBe(2);
      await expect.poll(() => page.locator(".downloads-total").textContent()).toBe("12");
      expect(await page.locator(".downloads-chart rect").count()).toBe(30);

      // Sign in on the sign-in page, back to the plugin, install.
      await page.getByRole("link", { name: "Sign in" }).click();
      await page.getByLabel("Sign-in token").fill(admin);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForURL(`${stack.url}/console`);
      await page.goto(`${stack.url}/plugin/notifier`);
      await page.getByRole("button", { name: "Install 1.1.0 in acme" }).click();
      await page.waitForURL(`${stack.url}/console/instances/notifier`);
      await expect.poll(() => page.getByTestId("instance-state").textContent()).toBe("installed");

      // Configure through the generated form, a secret among the fields.
      await page.getByLabel("Channel").fill("#sales");
      await page.getByLabel("API key").fill(SECRET);
      await page.getByRole("button", { name: "Save the configuration" }).click();
      await expect.poll(() => page.locator('[data-secret="apiKey"] .secret-state').textContent()).toBe("set");
      expect(await page.content()).not.toContain(SECRET);

      // Activate: the instance is in the tenant manifest, with its config and without the secret.
      await page.getByRole("button", { name: "Activate", exact: true }).click();
      await expect.poll(() => page.getByTestId("instance-state").textContent()).toBe("active");
      const manifest = (await (
        await fetch(`${stack.url}/api/tenants/acme/plugins/manifest`, { headers: { authorization: `Bearer ${admin}` } })
      ).json()) as TenantManifest;
      const entry = manifest.plugins.find((plugin) => plugin.instanceId === "notifier");
      expect(entry).toMatchObject({ pluginId: "notifier", version: "1.1.0", config: { channel: "#sales" } });
      expect(JSON.stringify(manifest)).not.toContain(SECRET);

      // An upgrade the tenant's signature policy refuses, with the API's reason.
      await trpc(stack, admin).policies.set.mutate({ tenantId: "acme", requireSignatures: true });
      await publish(
        stack,
        cast.alice,
        pluginMetadata({ id: "notifier", name: "Notifier", version: "1.2.0", category: "messaging", config: CONFIG }),
      );
      await stack.db.query(
        "update plugin_versions set signature = null where plugin_id = 'notifier' and version = '1.2.0'",
      );
      await page.getByLabel("Move to version, tag or range").fill("1.2.0");
      await page.getByRole("button", { name: "Upgrade" }).click();
      await expect
        .poll(() =>
          page.getByRole("alert").filter({ hasText: "Upgrade refused" }).locator(".problem-message").textContent(),
        )
        .toBe("Tenant 'acme' requires signed plugins: notifier@1.2.0 is not signed");

      // A rollback: to the version before this one, 1.1.0 having been the first installed, so upgrade first.
      await page.getByLabel("Move to version, tag or range").fill("1.0.0");
      await page.getByRole("button", { name: "Upgrade" }).click();
      await expect.poll(() => page.getByTestId("instance-version").textContent()).toBe("1.0.0");
      await page.getByRole("button", { name: "Roll back to 1.1.0" }).click();
      await expect.poll(() => page.getByTestId("instance-version").textContent()).toBe("1.1.0");

      // The audit entries of all of it.
      await page.getByRole("link", { name: "Audit log" }).click();
      await expect.poll(() => heading(page).textContent()).toBe("Audit log of acme");
      await page.getByLabel("Action").fill("installation.");
      await page.getByRole("button", { name: "Filter" }).click();
      await expect
        .poll(async () => (await page.locator(".audit-table tbody tr td:nth-child(2)").allTextContents()).sort())
        .toEqual(
          [
            "installation.activate",
            "installation.configure",
            "installation.install",
            "installation.rollback",
            "installation.upgrade",
          ].sort(),
        );

      // A publish token, shown once, then revoked.
      await page.getByRole("link", { name: "Publish tokens" }).click();
      await page.getByLabel("Name").fill("ci-notifier");
      await page.getByLabel("Plugins").fill("notifier");
      await page.getByRole("button", { name: "Create the token" }).click();
      const token = await page.getByLabel("The new token").inputValue();
      expect(token).toMatch(/^ppt_/);
      await page.getByRole("button", { name: "Done: hide it" }).click();
      await page.getByRole("button", { name: "Revoke ci-notifier" }).click();
      await page.getByRole("button", { name: "Yes, revoke it" }).click();
      await expect.poll(() => page.getByText(/^revoked /).count()).toBe(1);
      const refused = await fetch(`${stack.url}/trpc/tokens.list`, { headers: { authorization: `Bearer ${token}` } });
      expect(refused.status).toBe(401);
      expect(opened.problems).toEqual([]);
    } finally {
      await opened.close();
    }
  }, 120_000);
});
