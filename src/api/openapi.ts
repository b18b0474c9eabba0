import type { z } from "@hono/zod-openapi";
import { ErrorSchema, envelope } from "../domain/schemas";

const errorContent = { "application/json": { schema: ErrorSchema } };

/** The errors every authenticated route may answer. */
export const errorResponses = {
  400: { description: "Invalid request (VALIDATION_ERROR with the failing paths)", content: errorContent },
  401: { description: "Missing, invalid or expired token", content: errorContent },
  403: { description: "Not allowed", content: errorContent },
  404: { description: "Not found", content: errorContent },
  409: { description: "Conflicts with the current state", content: errorContent },
  413: { description: "Body over 64 KiB (1.2 MiB for POST /songs and PUT /songs/{id})", content: errorContent },
  429: { description: "Rate limited; see Retry-After", content: errorContent },
} as const;

/** A success response in the envelope, plus the common errors. */
export function responses<T extends z.ZodType>(schema: T, description: string, status: 200 | 201 = 200) {
  return {
    [status]: { description, content: { "application/json": { schema: envelope(schema) } } },
    ...errorResponses,
  } as {
    [K in typeof status]: {
      description: string;
      content: { "application/json": { schema: ReturnType<typeof envelope<T>> } };
    };
  } & typeof errorResponses;
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } };
}

export const security = [{ bearerAuth: [] }];
