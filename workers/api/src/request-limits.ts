import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { readConfig } from "./config";
import type { AppEnv } from "./env";
import { ApiError } from "./errors";

/** Refuses bodies over MAX_UPLOAD_BYTES with 413, whether or not they declare a Content-Length. */
export const limitBody = createMiddleware<AppEnv>((c, next) => {
  const maxSize = readConfig(c.env).maxUploadBytes;
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("PAYLOAD_TOO_LARGE", `The request body is larger than ${maxSize} bytes`);
    },
  })(c, next);
});
