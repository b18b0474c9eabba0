import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../env";
import type { RoomResult } from "../room/result";
import { ApiError, notFound, validationError } from "./errors";

/** A router whose validation failures become the contract's errors (a bad path id is simply not found). */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      if (result.target === "param") throw notFound();
      throw validationError(result.error.issues);
    },
  });
}

/** The success envelope. */
export function ok<T>(c: Context<AppEnv>, data: T, status: ContentfulStatusCode = 200, message?: string) {
  return c.json({ status: "success" as const, data, ...(message ? { message } : {}) }, status as 200);
}

/** A session object's answer, or its refusal as an ApiError. */
export function unwrap<T>(result: RoomResult<T>): T {
  if (result.ok) return result.value;
  throw new ApiError(result.error.status, result.error.code, result.error.message, result.error.details);
}
