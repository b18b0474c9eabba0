/**
 * Invitations seen from both ends: the session's list for those who may invite, and an invitee declining one of
 * theirs. Sending and revoking stay with the rest of membership (membership.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import { sessionOfMyInvitation } from "../db/invitations";
import { decodeCursor } from "../db/sessions";
import { DeclinedSchema, InvitationListQuerySchema, SessionInvitationPageSchema } from "../domain/invitation-schemas";
import { sessionGateway } from "../room/gateway";
import { ApiError, invalidCursor } from "./errors";
import { responses, security } from "./openapi";
import { SessionIdParam } from "./params";
import { createRouter, ok, unwrap } from "./router";

const MyInvitationParams = z.object({
  invitationId: z.uuid().openapi({ param: { name: "invitationId", in: "path" } }),
});

export const invitationsRouter = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/{id}/invitations",
      tags: ["membership"],
      security,
      description:
        "Needs `invite`. The session's invitations in one status (pending by default, or declined), newest first. " +
        "`email` only for those with `manage_participants` and for whoever sent the invitation. An ended or " +
        "archived session answers 409 SESSION_NOT_ACTIVE: its invitations admit nobody.",
      request: { params: SessionIdParam, query: InvitationListQuerySchema },
      responses: responses(SessionInvitationPageSchema, "A page of the session's invitations"),
    }),
    async (c) => {
      const { cursor: given, ...query } = c.req.valid("query");
      const cursor = given ? decodeCursor(given) : null;
      if (given && !cursor) throw invalidCursor();
      const actor = c.get("actor");
      return ok(
        c,
        unwrap(
          await sessionGateway(c.env, c.req.valid("param").id).call(actor, (room) =>
            room.listInvitations(actor, { ...query, cursor }),
          ),
        ),
      );
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sessions/my-invitations/{invitationId}/decline",
      tags: ["membership"],
      security,
      description:
        "By its invitee only (the invitation names their user id or the email in their token): it leaves their " +
        "list, admits nobody, and shows as declined in the session's list. Anyone else gets 404.",
      request: { params: MyInvitationParams },
      responses: responses(DeclinedSchema, "Declined"),
    }),
    async (c) => {
      const actor = c.get("actor");
      const { invitationId } = c.req.valid("param");
      // D1's projection says which session holds it; that session's object decides.
      const sessionId = await sessionOfMyInvitation(database(c.env.DB), actor, invitationId);
      if (!sessionId) throw new ApiError(404, "NOT_FOUND", "You have no pending invitation with this id");
      // The invitee is no participant: an archived session answers that it is archived, not that they are a stranger.
      const declined = unwrap(
        await sessionGateway(c.env, sessionId).call(null, (room) => room.declineInvitation(actor, invitationId)),
      );
      return ok(c, { ...declined, session_id: sessionId });
    },
  );
