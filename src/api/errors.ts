import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** An error the client caused or may act on; rendered as the contract's error envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export interface ErrorBody {
  status: "error";
  /** The same text as `error.message`, at the top level where ChordMe's client reads it. */
  message: string;
  error: { code: string; message: string; details?: unknown };
}

/** The one error body: every refusal, of a route, the middleware or the WebSocket upgrade, is built here. */
export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return {
    status: "error",
    message,
    error: details === undefined ? { code, message } : { code, message, details },
  };
}

export const notFound = (what = "Resource") => new ApiError(404, "NOT_FOUND", `${what} not found`);

export const invalidCursor = () =>
  new ApiError(400, "VALIDATION_ERROR", "Invalid request: cursor: not a cursor from this list", [
    { path: "cursor", message: "not a cursor from this list" },
  ]);

/** Zod issues as the contract's `details`: each issue's path and message. */
export function validationError(issues: readonly { path: PropertyKey[]; message: string }[]): ApiError {
  const details = issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
  const first = details[0];
  const message = first ? `Invalid request: ${first.path ? `${first.path}: ` : ""}${first.message}` : "Invalid request";
  return new ApiError(400, "VALIDATION_ERROR", message, details);
}

const HTTP_EXCEPTION_CODES: Record<number, { status: ContentfulStatusCode; code: string }> = {
  400: { status: 400, code: "VALIDATION_ERROR" },
  401: { status: 401, code: "UNAUTHORIZED" },
  413: { status: 413, code: "PAYLOAD_TOO_LARGE" },
  415: { status: 400, code: "VALIDATION_ERROR" },
};

/** The one error handler: every failure leaves as the envelope, and nothing a client sends becomes a 500. */
export function handleError(error: Error, c: Context): Response {
  if (error instanceof ApiError) {
    return c.json(errorBody(error.code, error.message, error.details), error.status, error.headers);
  }
  if (error instanceof HTTPException) {
    const mapped = HTTP_EXCEPTION_CODES[error.status] ?? { status: error.status, code: "ERROR" };
    const message =
      error.status === 415 ? "The body must be JSON (Content-Type: application/json)" : error.message || "Bad request";
    // A body that is not JSON fails before any schema sees it; it still names what failed, as zod issues do.
    const details = mapped.code === "VALIDATION_ERROR" ? [{ path: "", message }] : undefined;
    return c.json(errorBody(mapped.code, message, details), mapped.status as ContentfulStatusCode);
  }
  // A session object too busy to take more requests (the runtime marks the error `overloaded`) is busy, not broken.
  if ((error as { overloaded?: unknown }).overloaded === true) {
    return c.json(errorBody("SERVICE_BUSY", "This session is very busy right now; try again in a moment"), 503, {
      "Retry-After": "1",
    });
  }
  console.error("unhandled error", c.req.method, c.req.path, error);
  return c.json(errorBody("INTERNAL_ERROR", "Something went wrong on our side; please try again"), 500);
}
