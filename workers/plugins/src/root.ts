import { auditRouter } from "./routers/audit";
import { downloadsRouter } from "./routers/downloads";
import { healthRouter } from "./routers/health";
import { hostsRouter } from "./routers/hosts";
import { installationsRouter } from "./routers/installations";
import { maintainersRouter } from "./routers/maintainers";
import { manifestsRouter } from "./routers/manifests";
import { pluginsRouter } from "./routers/plugins";
import { tagsRouter } from "./routers/tags";
import { tokensRouter } from "./routers/tokens";
import { versionsRouter } from "./routers/versions";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  health: healthRouter,
  plugins: pluginsRouter,
  versions: versionsRouter,
  tags: tagsRouter,
  maintainers: maintainersRouter,
  tokens: tokensRouter,
  audit: auditRouter,
  downloads: downloadsRouter,
  installations: installationsRouter,
  hosts: hostsRouter,
  manifests: manifestsRouter,
});

/** The registry's typed API; the API worker and frontends type their clients with it. */
export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
