/** The signed-in user's own settings, as GET and PATCH /users/me show and take them. */
import { z } from "@hono/zod-openapi";

export const UserSettingsSchema = z
  .object({
    id: z.string(),
    email: z.string().nullable(),
    name: z.string().nullable(),
    /** Whether the service may email the user (invitations). Default true. */
    notifications_enabled: z.boolean(),
  })
  .openapi("UserSettings");

export const UserSettingsUpdateSchema = z.object({ notifications_enabled: z.boolean() });
