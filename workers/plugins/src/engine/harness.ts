/**
 * The main module of every loaded isolate, beside the plugin's own server module (imported
 * as `./plugin.js`). The plugin's module is the plain format the loader runs (a default
 * export with `fetch` and the hooks as methods); this entrypoint is what the host calls:
 * - `fetch(request)`, the plugin's request handler;
 * - `hook(name, event)`, a lifecycle hook or a scheduled task, a missing one being a no-op.
 *
 * Per call the host passes, as the entrypoint's props, what changes between calls (the
 * instance's config with its secrets, the verified caller); the capabilities fixed at load
 * (STORAGE, LOG) are in `this.env`. The plugin's methods get both as their `env`.
 *
 * This code runs inside the untrusted isolate, beside the plugin, which can change its
 * globals: whatever it answers is checked by the host as untrusted data.
 */
export const HARNESS_MODULE = `
import { WorkerEntrypoint } from "cloudflare:workers";
import plugin from "./plugin.js";

const HOOKS = ["onInstall", "onActivate", "onDeactivate", "onUninstall", "onUpdate", "scheduled"];
const MAX_MESSAGE = 500;

function pluginEnv(self) {
  const props = self.ctx.props || {};
  return { ...self.env, PLUGIN: props.plugin || null, CALLER: props.caller || null };
}

function messageOf(error) {
  const text = error && typeof error.message === "string" ? error.message : String(error);
  return text.slice(0, MAX_MESSAGE);
}

export default class PluginHarness extends WorkerEntrypoint {
  async fetch(request) {
    if (!plugin || typeof plugin.fetch !== "function") {
      return Response.json({ error: "this plugin has no request handler (export default { fetch })" }, { status: 501, headers: { "x-plugin-harness": "no-handler" } });
    }
    return plugin.fetch(request, pluginEnv(this), this.ctx);
  }

  async hook(name, event) {
    if (!HOOKS.includes(name)) return { ok: false, error: "unknown hook " + String(name) };
    const method = plugin && plugin[name];
    if (typeof method !== "function") return { ok: true, skipped: true };
    try {
      await method.call(plugin, event, pluginEnv(this), this.ctx);
      return { ok: true, skipped: false };
    } catch (error) {
      return { ok: false, error: messageOf(error) };
    }
  }
}
`;
