import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "./errors";

const MESSAGE = "The body is not valid UTF-8";

/**
 * Decodes a request body as strict UTF-8 before any route parses it. The lenient decoding `Request.json()` does
 * would turn bad bytes into U+FFFD, and that is what would be stored.
 */
export const requireUtf8Body = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.raw.body) {
    // Hono keeps the bytes read here, and c.req.json() decodes those same bytes, which are now known to be valid.
    const bytes = await c.req.arrayBuffer();
    try {
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      throw new ApiError(400, "VALIDATION_ERROR", MESSAGE, [{ path: "", message: MESSAGE }]);
    }
  }
  await next();
});
