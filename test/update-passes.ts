import { eventually, publish } from "./helpers";
import type { Stack } from "./stack";

/** The plugins worker's lines about passes of the UPDATES queue over `pluginId`. */
function passLines(stack: Stack, pluginId: string) {
  return stack.logs().filter((line) => line.pluginId === pluginId && String(line.event).startsWith("update_pass_"));
}

/** How many passes over `pluginId` were queued, and how many of them ended (done, or failed for good). */
function passCounts(stack: Stack, pluginId: string): { queued: number; ended: number } {
  const lines = passLines(stack, pluginId);
  const ended = lines.filter(
    (line) =>
      line.event === "update_pass_done" ||
      line.event === "update_pass_unknown_plugin" ||
      (line.event === "update_pass_failed" && line.retried === false),
  );
  return { queued: lines.filter((line) => line.event === "update_pass_queued").length, ended: ended.length };
}

/**
 * Runs `change` (a publish, a move of `latest`, a yank or a block of `pluginId`), then waits
 * until as many passes over the plugin's followers ended as it queued: each instance that
 * follows the plugin has then moved, or been held, and one that did neither never will for it.
 */
export async function followed<T>(stack: Stack, pluginId: string, change: () => Promise<T>): Promise<T> {
  const before = passCounts(stack, pluginId);
  const result = await change();
  // Not expect.poll: this runs in beforeAll hooks too.
  await eventually(`the update passes of '${pluginId}'`, async () => {
    const now = passCounts(stack, pluginId);
    const queued = now.queued - before.queued;
    return queued > 0 && now.ended - before.ended >= queued ? true : undefined;
  });
  return result;
}

/** `publish`, then waits for the update pass the new version queued. */
export function publishFollowed(stack: Stack, token: string, metadata: Record<string, unknown>, file?: string) {
  return followed(stack, String(metadata.id), () => publish(stack, token, metadata, file));
}
