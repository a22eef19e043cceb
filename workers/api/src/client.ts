/**
 * What a frontend imports to type its client against `/trpc` of the API worker:
 *
 *   import type { AppRouter } from "@plugins/api/client";
 *   const api = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "https://…/trpc" })] });
 */
import type { AppRouter } from "@plugins/plugins-worker/router";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

export type { AppRouter };
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
