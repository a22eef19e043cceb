import type { AppRouter } from "@plugins/plugins-worker/router";
import type { inferRouterOutputs } from "@trpc/server";
import type { Context } from "hono";
import type { AppEnv } from "./env";
import { fromPluginsRoute } from "./errors";
import { callPlugins, PLUGINS_ORIGIN } from "./plugins-client";

/*
 * The public boot reads, from the plugins worker's read-model routes: outside /trpc, so no
 * internal token is minted and no tRPC envelope built or parsed on the registry's hottest
 * metadata reads. They answer what plugins.document and plugins.resolve answer, and are typed
 * by those procedures, so a change there still breaks the typecheck here.
 */
type Outputs = inferRouterOutputs<AppRouter>["plugins"];
export type PackageDocument = NonNullable<Outputs["document"]["document"]>;
export type ResolvedVersion = Outputs["resolve"];

/**
 * The plugins worker's answer for `pluginId`'s package document: a 200 with its JSON, or a 304
 * when `ifNoneMatch` holds its ETag. A refusal (unknown plugin, registry unavailable) is thrown
 * with `errorHeaders`.
 */
export async function packageDocumentAnswer(
  c: Context<AppEnv>,
  pluginId: string,
  ifNoneMatch: string | undefined,
  errorHeaders: Record<string, string> = {},
): Promise<Response> {
  const response = await callPlugins(c, `${PLUGINS_ORIGIN}/read-models/packages/${encodeURIComponent(pluginId)}`, {
    headers: ifNoneMatch ? { "if-none-match": ifNoneMatch } : {},
  });
  if (response.status === 200 || response.status === 304) return response;
  throw await fromPluginsRoute(response, errorHeaders);
}

/** `pluginId`'s package document. */
export async function readPackageDocument(
  c: Context<AppEnv>,
  pluginId: string,
  errorHeaders: Record<string, string> = {},
): Promise<PackageDocument> {
  return (await packageDocumentAnswer(c, pluginId, undefined, errorHeaders)).json();
}

/** The exact version a tag, a version or a semver range of `pluginId` names. */
export async function resolveReference(
  c: Context<AppEnv>,
  pluginId: string,
  range: string,
  errorHeaders: Record<string, string> = {},
): Promise<ResolvedVersion> {
  const query = new URLSearchParams({ range });
  const response = await callPlugins(
    c,
    `${PLUGINS_ORIGIN}/read-models/packages/${encodeURIComponent(pluginId)}/resolve?${query}`,
  );
  if (!response.ok) throw await fromPluginsRoute(response, errorHeaders);
  return response.json();
}
