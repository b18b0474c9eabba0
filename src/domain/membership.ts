/** Who may join a session, and with which role: a pure decision the session object applies. */
import type { AccessMode, AssignableRole, Denial, MemberAccess, Role, SessionStatus } from "./permissions";

export interface JoinContext {
  session: { status: SessionStatus; access_mode: AccessMode; default_role: AssignableRole; max_participants: number };
  /** The joiner's participant row, if they ever joined. */
  member: MemberAccess | null;
  /** The role of a pending invitation addressed to the joiner (by user id or email), if any. */
  invitedRole: AssignableRole | null;
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
  // A removed user comes back only through a new invitation, whatever the access mode.
  if (member?.status === "removed" && context.invitedRole === null) {
    return refuse(403, "REMOVED", "You were removed from this session; ask for a new invitation");
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
