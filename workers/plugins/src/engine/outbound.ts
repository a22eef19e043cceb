import { WorkerEntrypoint } from "cloudflare:workers";
import { createLogger } from "@plugins/runtime";
import { outboundRefusal } from "./outbound-policy";
import type { OutboundProps } from "./props";

const logEvent = createLogger("plugins");

/**
 * A loaded isolate's only network (its `globalOutbound`): every `fetch()` the plugin makes
 * arrives here, is logged, and is made by the host only if outbound-policy.ts allows it.
 * Redirects are not followed here: a 3xx goes back to the plugin, whose next `fetch()` of
 * the new location is checked like any other.
 */
export class OutboundGateway extends WorkerEntrypoint<Env, OutboundProps> {
  override async fetch(request: Request): Promise<Response> {
    const { tenantId, instanceId, pluginId } = this.ctx.props;
    const url = new URL(request.url);
    const refusal = outboundRefusal(this.ctx.props, url);
    const call = { tenantId, instanceId, pluginId, method: request.method, host: url.host, path: url.pathname };
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
}
