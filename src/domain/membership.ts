/** Who may join a session, and with which role: a pure decision the session object applies. */
import type { AccessMode, AssignableRole, Denial, MemberAccess, Role, SessionStatus } from "./permissions";

export interface JoinContext {
  session: { status: SessionStatus; access_mode: AccessMode; default_role: AssignableRole; max_participants: number };
  /** The joiner's participant row, if they ever joined. */
  member: MemberAccess | null;
  /** The role of a pending invitation addressed to the joiner (by user id or email), if any. */
  invitedRole: AssignableRole | null;
  /** Whether whoever sent that invitation manages participants now: only they can bring back a removed user. */
  invitedByManager: boolean;
  /** Whether the joiner presented the session's current invitation code. */
  codeMatches: boolean;
  codeGiven: boolean;
  activeParticipants: number;
}

export type JoinDecision =
  | { outcome: "already_member"; role: Role }
  | { outcome: "join"; role: AssignableRole; via: "invitation" | "link" | "public" }
  | { outcome: "refuse"; denial: Denial };

const refuse = (status: 403 | 409, code: string, message: string): JoinDecision => ({
  outcome: "refuse",
  denial: { status, code, message },
});

export function decideJoin(context: JoinContext): JoinDecision {
  const { session, member } = context;
  if (session.status === "ended" || session.status === "archived") {
    return refuse(
      409,
      "SESSION_NOT_ACTIVE",
      `The session has ${session.status === "ended" ? "ended" : "been archived"}`,
    );
  }
  if (member?.status === "active") return { outcome: "already_member", role: member.role };
  // A removed user comes back only through a new invitation from someone who manages participants, whatever the
  // access mode.
  if (member?.status === "removed" && (context.invitedRole === null || !context.invitedByManager)) {
    return refuse(403, "REMOVED", "You were removed from this session; ask the session leader for a new invitation");
  }
  let role: AssignableRole;
  let via: "invitation" | "link" | "public";
  if (context.invitedRole !== null) {
    role = context.invitedRole;
    via = "invitation";
  } else if (session.access_mode === "link-access" && context.codeGiven) {
    if (!context.codeMatches)
      return refuse(403, "INVALID_INVITATION_CODE", "This invitation link is not valid any more");
    role = session.default_role;
    via = "link";
  } else if (session.access_mode === "public") {
    role = session.default_role;
    via = "public";
  } else {
    return refuse(403, "INVITATION_REQUIRED", "This session is by invitation; ask its owner to invite you");
  }
  if (context.activeParticipants >= session.max_participants) {
    return refuse(409, "SESSION_FULL", `The session is full (${session.max_participants} participants)`);
  }
  return { outcome: "join", role, via };
}

/** Roles from least to most: one may invite at most at one's own place in this order. */
const ROLE_RANK: Record<Role, number> = { viewer: 1, commenter: 2, editor: 3, owner: 4 };

/**
 * Whether a pending invitation still stands once its sender's role is `senderRole` (null: no longer a participant):
 * an invitation is never worth more than its sender could send now.
 */
export function invitationStands(
  invitationRole: AssignableRole,
  senderRole: Role | null,
  senderMayInvite: boolean,
): boolean {
  return senderRole !== null && senderMayInvite && ROLE_RANK[invitationRole] <= ROLE_RANK[senderRole];
}

export interface InviteContext {
  inviterId: string;
  inviterRole: Role;
  /** Whether the inviter holds `manage_participants`. */
  mayManage: boolean;
  role: AssignableRole;
  /** Who sent the invitee's pending invitation, if one is pending. */
  pendingInvitedBy: string | null;
}

/**
 * Whether an inviter may invite someone as `role`: never above their own role; changing a pending invitation
 * someone else sent needs `manage_participants`. Null when allowed. (Bringing back a removed user needs an
 * invitation from someone who manages participants; that is decided when they join, so an invitation's answer
 * never tells who was removed.)
 */
export function inviteRefusal(context: InviteContext): { code: string; message: string } | null {
  if (ROLE_RANK[context.role] > ROLE_RANK[context.inviterRole]) {
    return {
      code: "ROLE_ABOVE_YOURS",
      message: `You can invite people as ${context.inviterRole} at most`,
    };
  }
  if (context.mayManage) return null;
  if (context.pendingInvitedBy !== null && context.pendingInvitedBy !== context.inviterId) {
    return {
      code: "ALREADY_INVITED",
      message: "Someone else has invited this person already; only someone who manages participants can change it",
    };
  }
  return null;
}
