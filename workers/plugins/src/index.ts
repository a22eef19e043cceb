import { Hono } from "hono";
import { requireValidConfig } from "./config";
import { followQueuedUpdates } from "./installations/update-fan-out";
import { routeFailed, routeNotFound } from "./internal/errors";
import { type PluginsApp, requireInternalIdentity } from "./internal/identity";
import { registerInternalRoutes } from "./internal/routes";
import { trpcHandler } from "./trpc/handler";

/**
 * The plugins worker: bundle bytes and the internal routes, then the registry's tRPC API; and
 * the consumer of the UPDATES queue, which moves instances that follow a plugin's versions.
 */
const app = new Hono<PluginsApp>();

app.use(requireValidConfig);
registerInternalRoutes(app);
app.all("/trpc/*", requireInternalIdentity, trpcHandler);
app.notFound(routeNotFound);
app.onError(routeFailed);

export default {
  fetch: app.fetch,
  queue: followQueuedUpdates,
} satisfies ExportedHandler<Env>;

// The plugin engine's entrypoints: loaded isolates get them as `ctx.exports` bindings (engine/isolates.ts).
export { InstanceLog, InstanceSql, InstanceStorage } from "./engine/capabilities";
export { InstanceDatabase } from "./engine/instance-database";
export { InstanceStore } from "./engine/instance-store";
export { OutboundGateway } from "./engine/outbound";
