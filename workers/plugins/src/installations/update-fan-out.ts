import { createLogger } from "@plugins/runtime";
import { recordAudit } from "../audit/record";
import { type PluginsConfig, readConfig } from "../config";
import { DatabaseUnavailable, databaseOutage, openDatabase } from "../lib/database";
import { RegistryError } from "../lib/errors";
import { refreshTenantManifests } from "../tenants/manifest";
import { callerContext } from "../trpc/caller-context";
import { followUpdatesPage } from "./follow-updates";
import { followFailed, readUpdatePass, type UpdatePass } from "./update-passes";

const logEvent = createLogger("plugins");

/**
 * How long before a page's database deadline it stops starting another instance, on top of
 * the longest an `onUpdate` hook may take.
 */
const PAGE_MARGIN_MS = 500;

/**
 * The consumer of the UPDATES queue: one page of its pass per message, in a transaction of
 * its own, then the rest of the pass as a new message. A message that cannot be a pass, or
 * names a plugin that does not exist, is acknowledged and logged, since no retry would
 * change it. A page the database or the queue failed (down, past its deadline) is retried by
 * the queue, up to `max_retries`, then kept in the dead-letter queue; one that failed for any
 * other reason is audited (`plugin_version.follow_failed`) and acknowledged.
 */
export async function followQueuedUpdates(batch: MessageBatch, env: Env, execution: ExecutionContext) {
  const config = readConfig(env);
  for (const message of batch.messages) {
    const read = readUpdatePass(message.body);
    if ("problem" in read) {
      logEvent("error", "update_pass_malformed", { messageId: message.id, problem: read.problem });
      message.ack();
      continue;
    }
    const { pass } = read;
    try {
      await followPage(env, execution, config, pass, message.attempts);
      message.ack();
    } catch (error) {
      // The database or the queue, not the pass: a later delivery may succeed.
      const retried =
        databaseOutage(error) !== null || (error instanceof RegistryError && error.code === "SERVICE_UNAVAILABLE");
      logEvent(retried ? "warn" : "error", "update_pass_failed", {
        requestId: pass.actor.request.requestId,
        pluginId: pass.pluginId,
        after: pass.after ?? null,
        attempts: message.attempts,
        retried,
        message: String(error),
      });
      if (retried) {
        message.retry();
        continue;
      }
      // A retry would fail alike: audited as a publish whose followers could not be moved was, then dropped.
      try {
        await recordFollowFailed(config, pass);
        message.ack();
      } catch {
        message.retry();
      }
    }
  }
}

/**
 * Audits a pass that failed for a reason a retry would not change (a secret field to seal
 * without CONFIG_ENCRYPTION_KEY, a bug): `plugin_version.follow_failed`, in the pass's actor's name.
 */
async function recordFollowFailed(config: PluginsConfig, pass: UpdatePass): Promise<void> {
  const database = openDatabase(config.database);
  try {
    const actor = { identity: pass.actor.identity, request: pass.actor.request, grant: pass.actor.grant ?? null };
    await database.db.transaction((tx) => recordAudit(tx, actor, followFailed(pass)));
  } finally {
    await database.close();
  }
}

async function followPage(
  env: Env,
  execution: ExecutionContext,
  config: PluginsConfig,
  pass: UpdatePass,
  attempt: number,
): Promise<void> {
  // A database of its own per page: its deadline bounds this page as a request's bounds a request.
  const startedAt = Date.now();
  const database = openDatabase(config.database, startedAt);
  try {
    const ctx = callerContext(env, execution, config, pass.actor, { database: () => database.db, purgeFromEdge: null });
    const stopAt = startedAt + config.database.timeouts.deadlineMs - config.engine.hookDeadlineMs - PAGE_MARGIN_MS;
    const page = await ctx.db.transaction(async (tx) => {
      const page = await followUpdatesPage(tx, ctx, pass.pluginId, {
        after: pass.after ?? null,
        limit: config.updates.pageSize,
        outOfTime: () => Date.now() >= stopAt,
      });
      await refreshTenantManifests(tx, ctx, page.moved);
      return page;
    });
    if (!page.found) {
      logEvent("warn", "update_pass_unknown_plugin", {
        requestId: pass.actor.request.requestId,
        pluginId: pass.pluginId,
      });
      return;
    }
    if (config.updates.failAfterPage && attempt === 1) {
      throw new DatabaseUnavailable("failpoint update-pass-after-page: the delivery failed after its page committed");
    }
    if (page.next) {
      await ctx.updates.request({ pluginId: pass.pluginId, version: pass.version, after: page.next });
      return;
    }
    // The pass is done: every instance that follows the plugin was settled (tests wait for this line).
    logEvent("info", "update_pass_done", { requestId: pass.actor.request.requestId, pluginId: pass.pluginId });
  } finally {
    await database.close();
  }
}
