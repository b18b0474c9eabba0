import { createMiddleware } from "hono/factory";
import { TokenError, verifyToken } from "../auth/tokens";
import { database } from "../db/client";
import { rememberUser } from "../db/users";
import type { Actor } from "../domain/actor";
import type { AppEnv, Secrets } from "../env";
import { ApiError } from "./errors";

export function bearerToken(header: string | undefined): string | null {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1] ?? null;
}

/** Verifies the bearer token; a 401 when it is missing or not acceptable. */
export async function authenticate(header: string | undefined, config: Secrets): Promise<Actor> {
  const token = bearerToken(header);
  if (!token) throw new ApiError(401, "UNAUTHORIZED", "Sign in: send Authorization: Bearer <token>");
  try {
    return await verifyToken(token, config);
  } catch (error) {
    if (error instanceof TokenError) throw new ApiError(401, "UNAUTHORIZED", error.message);
    throw error;
  }
}

/** Every /api/v1 route but the public ones goes through this. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const actor = await authenticate(c.req.header("Authorization"), c.env);
  c.set("actor", actor);
  await rememberUser(database(c.env.DB), actor);
  await next();
});

const MUTATING_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Per-user limit on changes, through the Workers rate-limiting binding. */
export const limitMutations = createMiddleware<AppEnv>(async (c, next) => {
  if (MUTATING_METHODS.has(c.req.method)) {
    const { success } = await c.env.MUTATION_LIMITER.limit({ key: c.get("actor").userId });
    if (!success) {
      throw new ApiError(429, "RATE_LIMITED", "Too many changes; wait a minute and try again", undefined, {
        "Retry-After": "60",
      });
    }
  }
  await next();
});
