import { z } from "@hono/zod-openapi";

/** The session id in the path of every `/sessions/{id}/...` route. */
export const SessionIdParam = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });
