/** The shapes of a session's invitation list and of an invitee's decline. */
import { z } from "@hono/zod-openapi";
import { AssignableRoleSchema, PageQuerySchema } from "./schemas";

const isoTime = z.string().openapi({ example: "2026-11-27T12:00:00.000Z" });

/** The statuses a session's invitation list shows: accepted ones are participants, revoked ones are gone. */
export const LISTED_INVITATION_STATUSES = ["pending", "declined"] as const;
export type ListedInvitationStatus = (typeof LISTED_INVITATION_STATUSES)[number];

export const SessionInvitationSchema = z
  .object({
    id: z.string(),
    /** The invitee's user id, for an invitation to a user; null for one to an email address. */
    user_id: z.string().nullable(),
    /** Only for those with `manage_participants` and for whoever sent the invitation. */
    email: z.string().nullable().optional(),
    role: AssignableRoleSchema,
    status: z.enum(LISTED_INVITATION_STATUSES),
    invited_by: z.object({ user_id: z.string(), display_name: z.string() }),
    message: z.string().nullable(),
    created_at: isoTime,
    declined_at: isoTime.nullable(),
  })
  .openapi("SessionInvitation");

export const SessionInvitationPageSchema = z
  .object({ invitations: z.array(SessionInvitationSchema), next_cursor: z.string().nullable() })
  .openapi("SessionInvitationPage");

export const InvitationListQuerySchema = PageQuerySchema.extend({
  status: z.enum(LISTED_INVITATION_STATUSES).default("pending"),
});

export const DeclinedSchema = z.object({ id: z.string(), session_id: z.uuid(), declined: z.literal(true) });

export type SessionInvitation = z.infer<typeof SessionInvitationSchema>;
export type SessionInvitationPage = z.infer<typeof SessionInvitationPageSchema>;
export type InvitationListQuery = z.infer<typeof InvitationListQuerySchema>;
