import { createRoute, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import { myInvitations, pendingInvitationsSentSince } from "../db/invitations";
import { decodeCursor } from "../db/sessions";
import {
  ActivityAnswerSchema,
  ActivityQuerySchema,
  InvitationSchema,
  InviteAnswerSchema,
  type InviteResult,
  InviteSchema,
  JoinSchema,
  PageQuerySchema,
  ParticipantSchema,
  RoleChangeSchema,
  SessionViewSchema,
  TransferSchema,
} from "../domain/schemas";
import { sessionGateway } from "../room/gateway";
import { ApiError, invalidCursor, validationError } from "./errors";
import { jsonBody, responses, security } from "./openapi";
import { SessionIdParam } from "./params";
import { createRouter, ok, unwrap } from "./router";

const ParticipantParams = SessionIdParam.extend({
  userId: z
    .string()
    .min(1)
    .max(255)
    .openapi({ param: { name: "userId", in: "path" } }),
});
const InvitationParams = SessionIdParam.extend({
  invitationId: z.uuid().openapi({ param: { name: "invitationId", in: "path" } }),
});

/** Pending invitations one account may have sent in a day, across all sessions. */
const MAX_PENDING_INVITATIONS_PER_INVITER_PER_DAY = 500;

export const membershipRouter = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/my-invitations",
      tags: ["membership"],
      security,
      request: { query: PageQuerySchema },
      responses: responses(
        z.object({ invitations: z.array(InvitationSchema), next_cursor: z.string().nullable() }),
        "My pending invitations, newest first",
      ),
    }),
    async (c) => {
      const query = c.req.valid("query");
      const cursor = query.cursor ? decodeCursor(query.cursor) : null;
      if (query.cursor && !cursor) throw invalidCursor();
      return ok(c, await myInvitations(database(c.env.DB), c.get("actor"), { limit: query.limit, cursor }));
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sessions/{id}/join",
      tags: ["membership"],
      security,
      description:
        "invite-only: with a pending invitation; link-access: with the current invitation code; public: anyone. Idempotent.",
      request: { params: SessionIdParam, body: { ...jsonBody(JoinSchema), required: false } },
      responses: responses(SessionViewSchema, "The session, as a participant"),
    }),
    async (c) => {
      const { invitation_code } = c.req.valid("json");
      return ok(
        c,
        unwrap(
          await sessionGateway(c.env, c.req.valid("param").id).call(c.get("actor"), (room) =>
            room.join(c.get("actor"), invitation_code),
          ),
        ),
      );
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sessions/{id}/leave",
      tags: ["membership"],
      security,
      request: { params: SessionIdParam },
      responses: responses(z.object({ user_id: z.string(), left: z.literal(true) }), "Left the session"),
    }),
    async (c) =>
      ok(
        c,
        unwrap(
          await sessionGateway(c.env, c.req.valid("param").id).call(c.get("actor"), (room) =>
            room.leave(c.get("actor")),
          ),
        ),
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/{id}/participants",
      tags: ["membership"],
      security,
      request: { params: SessionIdParam },
      responses: responses(z.object({ participants: z.array(ParticipantSchema) }), "Current participants"),
    }),
    async (c) =>
      ok(
        c,
        unwrap(
          await sessionGateway(c.env, c.req.valid("param").id).read((reader) =>
            reader.listParticipants(c.get("actor")),
          ),
        ),
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sessions/{id}/invite",
      tags: ["membership"],
      security,
      request: { params: SessionIdParam, body: jsonBody(InviteSchema) },
      responses: responses(InviteAnswerSchema, "One result per invitee; invited_users: those now invited"),
    }),
    async (c) => {
      const body = c.req.valid("json");
      // Across sessions: one account cannot flood someone's invitations from many sessions of its own.
      const dayAgo = new Date(Date.now() - 24 * 3600_000).toISOString();
      const sent = await pendingInvitationsSentSince(database(c.env.DB), c.get("actor").userId, dayAgo);
      if (sent + body.users.length > MAX_PENDING_INVITATIONS_PER_INVITER_PER_DAY) {
        throw new ApiError(
          429,
          "INVITATION_LIMIT",
          `You have ${sent} pending invitations from the last day; at most ${MAX_PENDING_INVITATIONS_PER_INVITER_PER_DAY} across all sessions`,
          undefined,
          { "Retry-After": "3600" },
        );
      }
      const invitees = body.users.map((entry) =>
        entry.email
          ? { email: entry.email.toLowerCase(), role: entry.role }
          : { user_id: entry.user_id, role: entry.role },
      );
      const result = unwrap(
        await sessionGateway(c.env, c.req.valid("param").id).call(c.get("actor"), (room) =>
          room.invite(c.get("actor"), invitees, body.message),
        ),
      );
      return ok(c, { ...result, invited_users: invitedUsers(result) });
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/sessions/{id}/invitations/{invitationId}",
      tags: ["membership"],
      security,
      request: { params: InvitationParams },
      responses: responses(z.object({ id: z.string(), revoked: z.literal(true) }), "Revoked"),
    }),
    async (c) => {
      const { id, invitationId } = c.req.valid("param");
      return ok(
        c,
        unwrap(
          await sessionGateway(c.env, id).call(c.get("actor"), (room) =>
            room.revokeInvitation(c.get("actor"), invitationId),
          ),
        ),
      );
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/sessions/{id}/participants/{userId}",
      tags: ["membership"],
      security,
      description: "Takes effect at once: the user's open sockets receive role_changed.",
      request: { params: ParticipantParams, body: jsonBody(RoleChangeSchema) },
      responses: responses(ParticipantSchema, "The participant with the new role"),
    }),
    async (c) => {
      const { id, userId } = c.req.valid("param");
      return ok(
        c,
        unwrap(
          await sessionGateway(c.env, id).call(c.get("actor"), (room) =>
            room.changeRole(c.get("actor"), userId, c.req.valid("json").role),
          ),
        ),
      );
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/sessions/{id}/participants/{userId}",
      tags: ["membership"],
      security,
      description: "Takes effect at once: the user's open sockets are closed with 4403.",
      request: { params: ParticipantParams },
      responses: responses(z.object({ user_id: z.string(), removed: z.literal(true) }), "Removed"),
    }),
    async (c) => {
      const { id, userId } = c.req.valid("param");
      return ok(
        c,
        unwrap(
          await sessionGateway(c.env, id).call(c.get("actor"), (room) =>
            room.removeParticipant(c.get("actor"), userId),
          ),
        ),
      );
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sessions/{id}/transfer",
      tags: ["membership"],
      security,
      request: { params: SessionIdParam, body: jsonBody(TransferSchema) },
      responses: responses(SessionViewSchema, "The session; the old owner is now an editor"),
    }),
    async (c) =>
      ok(
        c,
        unwrap(
          await sessionGateway(c.env, c.req.valid("param").id).call(c.get("actor"), (room) =>
            room.transfer(c.get("actor"), c.req.valid("json").user_id),
          ),
        ),
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/{id}/activities",
      tags: ["activity"],
      security,
      request: { params: SessionIdParam, query: ActivityQuerySchema },
      responses: responses(
        z.object({ activities: z.array(ActivityAnswerSchema), next_cursor: z.string().nullable() }),
        "Newest first; private entries only for those allowed to see them",
      ),
    }),
    async (c) => {
      const { activity_type, ...query } = c.req.valid("query");
      if (query.type && activity_type && query.type !== activity_type) {
        throw validationError([{ path: ["activity_type"], message: "must be the same as type when both are given" }]);
      }
      const page = unwrap(
        await sessionGateway(c.env, c.req.valid("param").id).read((reader) =>
          reader.activities(c.get("actor"), { ...query, type: query.type ?? activity_type }),
        ),
      );
      // ChordMe's name for `type` (CONTRACT "ChordMe compatibility").
      return ok(c, { ...page, activities: page.activities.map((entry) => ({ ...entry, activity_type: entry.type })) });
    },
  );

/**
 * ChordMe's `invited_users` (CONTRACT "ChordMe compatibility"): the entries now invited, in the shape they were
 * asked (an email entry never learns a user id); `already_participant` entries are not among them.
 */
function invitedUsers(result: InviteResult) {
  return result.invited
    .filter((entry) => entry.status === "invited")
    .map((entry) => {
      const invitationId = (entry as { invitation_id?: unknown }).invitation_id;
      return {
        user_id: entry.user_id ?? null,
        email: entry.email ?? null,
        role: entry.role,
        ...(typeof invitationId === "string" ? { invitation_id: invitationId } : {}),
      };
    });
}
