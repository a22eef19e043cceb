import { Hono } from "hono";
import { authenticate } from "./auth";
import { registerBundles } from "./cdn/bundle-routes";
import { answerFromIsolate } from "./cdn/hot-path";
import { requireValidConfig } from "./config";
import { apiCors } from "./cors";
import type { AppEnv } from "./env";
import { ApiError, errorResponse, onError } from "./errors";
import { rateLimitApi } from "./rate-limits";
import { requestContext } from "./request-context";
import { registerDevSignIn } from "./routes/dev-sign-in";
import { registerHealth } from "./routes/health";
import { registerInstallations } from "./routes/installations";
import { registerKeys } from "./routes/keys";
import { registerOperations } from "./routes/operations";
import { registerPlugins } from "./routes/plugins";
import { registerServiceIndex } from "./routes/service-index";
import { registerTenants } from "./routes/tenants";
import { budgetTrpcCalls, limitTrpcBatch, registerTrpc } from "./routes/trpc";
import { registerWebApp } from "./web-app/routes";

const app = new Hono<AppEnv>();

app.use(requestContext, requireValidConfig);
// The client's budget before `authenticate`: a forged publish token is redeemed in the
// database, so it must not get there unbudgeted. The user's once known.
app.use("/health", rateLimitApi("client"));
app.use("/api/*", apiCors, rateLimitApi("client"), authenticate, rateLimitApi("user"));
app.use("/trpc/*", apiCors, limitTrpcBatch, budgetTrpcCalls("client"), authenticate, budgetTrpcCalls("user"));

registerServiceIndex(app);
registerHealth(app);
registerKeys(app);
registerDevSignIn(app);
registerBundles(app);
// Before the plugin routes: `/api/plugins/status/:instanceId` must win over `/api/plugins/:id/bundle`.
registerInstallations(app);
registerOperations(app);
registerPlugins(app);
registerTenants(app);
registerTrpc(app);
// Last: the marketplace and console answer the GETs no route above did.
registerWebApp(app);

app.notFound((c) => errorResponse(c, new ApiError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`)));
app.onError(onError);

export default {
  fetch: (request, env, ctx) => answerFromIsolate(request, env, ctx) ?? app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
