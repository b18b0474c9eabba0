import { createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { signDevToken } from "../auth/tokens";
import { envelope } from "../domain/schemas";
import type { AppEnv } from "../env";
import { ApiError, notFound } from "./errors";
import { jsonBody, responses } from "./openapi";
import { createRouter, ok } from "./router";

/** Hides a route unless DEV_AUTH is "true"; it runs before validation, so no body reveals the route. */
const devOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.env.DEV_AUTH !== "true") throw notFound();
  await next();
});

/** Routes that need no token: health and, under DEV_AUTH, the development token. */
export const publicRouter = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/health",
      tags: ["service"],
      responses: {
        200: {
          description: "The service is up",
          content: {
            "application/json": { schema: envelope(z.object({ ok: z.literal(true), time: z.string() })) },
          },
        },
      },
    }),
    (c) => ok(c, { ok: true as const, time: new Date().toISOString() }),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/dev/token",
      tags: ["service"],
      description: 'Issues a 24 h token for any user. Exists only when DEV_AUTH is "true"; otherwise 404.',
      middleware: [devOnly] as const,
      request: {
        body: jsonBody(
          z.object({
            sub: z.string().trim().min(1).max(255),
            email: z.email().max(320).optional(),
            name: z.string().trim().min(1).max(100).optional(),
            admin: z.boolean().optional(),
          }),
        ),
      },
      responses: responses(z.object({ token: z.string() }), "A signed token"),
    }),
    async (c) => {
      if (!c.env.JWT_SECRET) throw new ApiError(409, "NOT_CONFIGURED", "Set JWT_SECRET to sign development tokens");
      const token = await signDevToken(c.req.valid("json"), c.env.JWT_SECRET, c.env.JWT_ISSUER, c.env.JWT_AUDIENCE);
      return ok(c, { token });
    },
  );
