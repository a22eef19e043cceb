import { auditRouter } from "../audit/router";
import { downloadsRouter } from "../downloads/router";
import { healthRouter } from "../health/router";
import { installationsRouter } from "../installations/router";
import { maintainersRouter } from "../maintainers/router";
import { pluginsRouter } from "../plugins/router";
import { readModelsRouter } from "../read-models/router";
import { signaturesRouter } from "../signatures/router";
import { hostsRouter } from "../tenants/hosts-router";
import { manifestsRouter } from "../tenants/manifests-router";
import { policiesRouter } from "../tenants/policies-router";
import { tokensRouter } from "../tokens/router";
import { versionsRouter } from "../versions/router";
import { tagsRouter } from "../versions/tags-router";
import { createCallerFactory, router } from "./init";

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
  readModels: readModelsRouter,
  signatures: signaturesRouter,
  policies: policiesRouter,
});

/** The registry's typed API; the API worker and frontends type their clients with it. */
export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
