import { healthRouter } from "./routers/health";
import { installationsRouter } from "./routers/installations";
import { pluginsRouter } from "./routers/plugins";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  health: healthRouter,
  plugins: pluginsRouter,
  installations: installationsRouter,
});

/** The registry's typed API; the API worker and frontends type their clients with it. */
export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
