import { WorkerEntrypoint } from "cloudflare:workers";
import { createLogger } from "@plugins/runtime";
import { readConfig } from "../config";
import { addressesRefusal, ResolutionFailed, resolveHost } from "./outbound-addresses";
import { outboundRefusal } from "./outbound-policy";
import type { OutboundProps } from "./props";

const logEvent = createLogger("plugins");

/**
 * A loaded isolate's only network (its `globalOutbound`): every `fetch()` the plugin makes
 * arrives here, is logged, and is made by the host only if outbound-policy.ts allows it and
 * the name resolves to public addresses only (outbound-addresses.ts).
 * Redirects are not followed here: a 3xx goes back to the plugin, whose next `fetch()` of
 * the new location is checked like any other.
 */
export class OutboundGateway extends WorkerEntrypoint<Env, OutboundProps> {
  override async fetch(request: Request): Promise<Response> {
    const { tenantId, instanceId, pluginId } = this.ctx.props;
    const url = new URL(request.url);
    const call = { tenantId, instanceId, pluginId, method: request.method, host: url.host, path: url.pathname };
    const refusal = await this.#refusal(url);
    if (refusal) {
      logEvent("warn", "plugin_outbound_refused", { ...call, reason: refusal });
      return new Response(`Refused by the plugin platform: ${refusal}`, {
        status: 403,
        headers: { "content-type": "text/plain; charset=utf-8", "x-plugin-outbound": "refused" },
      });
    }
    const startedAt = Date.now();
    try {
      const response = await fetch(new Request(request, { redirect: "manual" }));
      logEvent("info", "plugin_outbound", { ...call, status: response.status, durationMs: Date.now() - startedAt });
      return response;
    } catch (error) {
      logEvent("warn", "plugin_outbound_failed", { ...call, message: String(error) });
      throw error;
    }
  }

  /** The policy's answer, then, for a public name, where it leads (outbound-addresses.ts). */
  async #refusal(url: URL): Promise<string | null> {
    const policy = this.ctx.props;
    const refusal = outboundRefusal(policy, url);
    if (refusal || policy.privateHosts.includes(url.host.toLowerCase())) return refusal;
    try {
      const addresses = await resolveHost(readConfig(this.env).engine.dnsResolver, url.hostname.toLowerCase());
      return addressesRefusal(url.hostname, addresses);
    } catch (error) {
      if (error instanceof ResolutionFailed) return error.message;
      throw error;
    }
  }
}
