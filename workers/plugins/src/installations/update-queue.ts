import { createLogger } from "@plugins/runtime";
import type { InternalClaims } from "@plugins/schema";
import { RegistryError } from "../lib/errors";
import type { UpdatePass, UpdatePasses } from "./update-passes";

const logEvent = createLogger("plugins");

/** The passes of one request or page, on the UPDATES queue, caused by `actor`. */
export function queuedUpdatePasses(queue: Queue, actor: InternalClaims): UpdatePasses {
  return {
    async request(fields) {
      const pass: UpdatePass = { ...fields, actor };
      const { pluginId } = pass;
      try {
        await queue.send(pass, { contentType: "json" });
        if (!pass.after) logEvent("info", "update_pass_queued", { requestId: actor.request.requestId, pluginId });
      } catch (error) {
        logEvent("error", "update_pass_not_queued", {
          requestId: actor.request.requestId,
          pluginId,
          message: String(error),
        });
        throw new RegistryError(
          "SERVICE_UNAVAILABLE",
          `The automatic updates of '${pluginId}' could not be queued; retry in a few seconds`,
        );
      }
    },
  };
}
