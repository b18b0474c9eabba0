/**
 * The signed-in user's own settings: for now whether the service may email them (invitations). A preference of the
 * user's, not of a session's: an invitee is nobody's participant yet when their invitation is emailed.
 */
import { createRoute } from "@hono/zod-openapi";
import { database } from "../db/client";
import { setNotifications, userSettings } from "../db/users";
import { UserSettingsSchema, UserSettingsUpdateSchema } from "../domain/user-schemas";
import { jsonBody, responses, security } from "./openapi";
import { createRouter, ok } from "./router";

export const usersRouter = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/users/me",
      tags: ["users"],
      security,
      responses: responses(UserSettingsSchema, "Who I am to the service, and my settings"),
    }),
    async (c) => ok(c, await userSettings(database(c.env.DB), c.get("actor"))),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/users/me",
      tags: ["users"],
      security,
      description:
        "`notifications_enabled: false`: no invitation emails, to my user id or to the email I sign in with.",
      request: { body: jsonBody(UserSettingsUpdateSchema) },
      responses: responses(UserSettingsSchema, "My settings"),
    }),
    async (c) =>
      ok(c, await setNotifications(database(c.env.DB), c.get("actor"), c.req.valid("json").notifications_enabled)),
  );
