import { internalClaimsSchema } from "@plugins/schema";
import { z } from "zod";

/**
 * A message of the UPDATES queue: follow the versions of `pluginId` with every instance whose
 * update policy admits a newer one, from the instance after `after` (by id) on.
 */
export const updatePassSchema = z.object({
  pluginId: z.string().min(1).max(214),
  /** The version whose publish, tagging, yank or block queued the pass: what a failed pass's audit entry names. */
  version: z.string().min(1).max(256).optional(),
  /** The last instance an earlier page of this pass settled; absent on its first page. */
  after: z.uuid().optional(),
  /**
   * Who caused the pass (a publish, tag move, yank or block) and in which request: its audit
   * entries name them, as when the pass ran inside their call.
   */
  actor: internalClaimsSchema,
});
export type UpdatePass = z.infer<typeof updatePassSchema>;

/** Where a change to a plugin's versions asks for its followers to be moved. */
export interface UpdatePasses {
  /**
   * Queues a pass over every instance that follows `pluginId`. A tag move, yank or block
   * calls it inside its transaction, after locking the plugin's row: a consumer that gets the
   * message first waits on that lock, then reads what committed (nothing, if the change rolled
   * back), and a queue that refuses the message refuses the change. A publish calls it after
   * its commit, and records a failure instead (`plugin_version.follow_failed`).
   * `after` continues a pass from the last instance its previous page settled.
   */
  request(pass: Omit<UpdatePass, "actor">): Promise<void>;
}

/**
 * Reads a queue message: the pass it asks for, or why it is none (a message this version
 * of the worker did not write, or a hand-sent one).
 */
export function readUpdatePass(body: unknown): { pass: UpdatePass } | { problem: string } {
  const parsed = updatePassSchema.safeParse(body);
  return parsed.success ? { pass: parsed.data } : { problem: z.prettifyError(parsed.error) };
}

/**
 * The audit entry of a pass that could not be queued, or failed for a reason a retry would
 * not change: followers of the plugin were not moved (the next pass of the plugin moves them).
 */
export function followFailed(pass: Pick<UpdatePass, "pluginId" | "version">) {
  const details = { reason: "instances following this plugin were not moved; see the log of this request" };
  return pass.version
    ? {
        action: "plugin_version.follow_failed",
        resourceType: "plugin_version" as const,
        resourceId: `${pass.pluginId}@${pass.version}`,
        details,
      }
    : { action: "plugin_version.follow_failed", resourceType: "plugin" as const, resourceId: pass.pluginId, details };
}
