/**
 * Who is in the session: joining (by invitation, link or access mode), leaving, role changes, removals and handing
 * the session over, each logged, recorded and told to the open sockets that may know of it.
 */
import type { Actor } from "../domain/actor";
import { displayName } from "../domain/actor";
import { decideJoin } from "../domain/membership";
import { type AssignableRole, authorize, permissionsOf } from "../domain/permissions";
import { CLOSE } from "../domain/protocol";
import type { ActivityLog } from "./activity-log";
import type { Invitations } from "./invitations";
import type { Participants } from "./participants";
import type { Reads } from "./reads";
import type { Recorder } from "./recorder";
import { RoomFailure, refuse } from "./result";
import type { InvitationRow, ParticipantRow, SessionRow } from "./rows";
import type { SessionState } from "./session-state";
import type { Sockets } from "./sockets";

export interface MembershipParts {
  state: SessionState;
  participants: Participants;
  invitations: Invitations;
  activity: ActivityLog;
  recorder: Recorder;
  sockets: Sockets;
  reads: Reads;
}

export class Membership {
  constructor(private readonly parts: MembershipParts) {}

  /** Lets the actor in when the session's rules allow; every invitation addressed to them is then accepted. */
  join(actor: Actor, invitationCode: string | undefined): void {
    try {
      this.admit(actor, invitationCode);
    } catch (error) {
      if (error instanceof RoomFailure && error.error.code === "SESSION_FULL") this.tellFull(actor);
      throw error;
    }
  }

  /** Tells those who may raise the limit, live, that someone was just turned away because the session is full. */
  private tellFull(actor: Actor): void {
    const { state, participants, sockets } = this.parts;
    const session = state.requireSession();
    const mayRaise = (userId: string) => authorize(session, participants.member(userId), "manage_session") === null;
    sockets.sendWhere(mayRaise, {
      type: "join_refused",
      code: "SESSION_FULL",
      user_id: actor.userId,
      display_name: displayName(actor),
      max_participants: session.max_participants,
    });
  }

  private admit(actor: Actor, invitationCode: string | undefined): void {
    const { state, participants, invitations } = this.parts;
    const joined = state.transaction(() => {
      const session = state.requireSession();
      const member = participants.member(actor.userId);
      const addressed = invitations.pendingFor(actor);
      const byManager = (invitation: InvitationRow) =>
        authorize(session, participants.member(invitation.invited_by), "manage_participants") === null;
      // The newest invitation, or for someone who was removed the newest one that can bring them back.
      const invitation = (member?.status === "removed" ? addressed.find(byManager) : undefined) ?? addressed[0] ?? null;
      const decision = decideJoin({
        session,
        member,
        invitedRole: invitation?.role ?? null,
        invitedByManager: invitation !== null && byManager(invitation),
        codeGiven: invitationCode !== undefined,
        codeMatches:
          invitationCode !== undefined &&
          session.invitation_code !== null &&
          codesMatch(invitationCode, session.invitation_code),
        activeParticipants: participants.activeCount(),
      });
      if (decision.outcome === "refuse") refuse(decision.denial.status, decision.denial.code, decision.denial.message);
      for (const each of addressed) invitations.close(each.id, "accepted");
      if (decision.outcome === "already_member") return null;
      const participant = participants.add(actor, decision.role, invitation?.invited_by ?? null);
      this.parts.activity.append(
        "user_joined",
        actor.userId,
        `${participant.display_name} joined as ${decision.role}`,
        {
          role: decision.role,
          via: decision.via,
        },
      );
      this.parts.recorder.capture("user_joined", actor.userId, { role: decision.role });
      state.touch();
      state.enqueue("session", "members");
      return participant;
    });
    if (joined) {
      this.parts.sockets.broadcast({
        type: "participant_joined",
        participant: this.parts.reads.participantView(joined, null),
      });
    }
  }

  leave(actor: Actor): void {
    const { state, participants } = this.parts;
    state.transaction(() => {
      const session = state.requireSession();
      const member = participants.member(actor.userId);
      if (member?.status !== "active") refuse(404, "NOT_FOUND", "You are not a participant of this session");
      if (session.owner_id === actor.userId) {
        refuse(409, "OWNER_CANNOT_LEAVE", "The owner cannot leave; transfer ownership first");
      }
      participants.setGone(actor.userId, "left");
      this.parts.activity.append("user_left", actor.userId, `${member.display_name} left the session`);
      this.parts.recorder.capture("user_left", actor.userId, null);
      state.touch();
      state.enqueue("session", "members");
    });
    this.parts.sockets.closeUser(actor.userId, CLOSE.noAccess, "You left the session");
    this.parts.sockets.broadcast({ type: "participant_left", user_id: actor.userId });
  }

  /** Gives a participant another role; told only to them and to those who see private activity. */
  changeRole(session: SessionRow, actor: Actor, userId: string, role: AssignableRole): ParticipantRow {
    const { state, participants, sockets, reads } = this.parts;
    const changed = state.transaction(() => {
      const target = this.activeTarget(userId);
      if (userId === session.owner_id)
        refuse(403, "FORBIDDEN", "The owner's role changes only by transferring ownership");
      participants.setRole(userId, role);
      this.parts.invitations.withdrawFrom(session, userId);
      this.parts.recorder.capture("role_changed", actor.userId, { user_id: userId, role }, true);
      this.parts.activity.append(
        "permission_changed",
        actor.userId,
        `${displayName(actor)} made ${target.display_name} ${role}`,
        { user_id: userId, from: target.role, to: role },
        true,
      );
      state.touch();
      state.enqueue("members");
      return participants.member(userId)!;
    });
    // A role without `read` has no business on a socket of the session.
    if (authorize(session, changed, "read") !== null) {
      sockets.closeUser(userId, CLOSE.noAccess, "Your role no longer lets you see this session");
    }
    sockets.sendWhere((viewerId) => viewerId === userId || reads.seesPrivate(viewerId), {
      type: "role_changed",
      user_id: userId,
      role,
      permissions: permissionsOf(role, session.permissions),
    });
    return changed;
  }

  remove(session: SessionRow, actor: Actor, userId: string): void {
    const { state, participants, invitations } = this.parts;
    state.transaction(() => {
      const target = this.activeTarget(userId);
      if (userId === session.owner_id) refuse(403, "FORBIDDEN", "The owner cannot be removed");
      if (userId === actor.userId) refuse(409, "CONFLICT", "Leave the session instead of removing yourself");
      participants.setGone(userId, "removed");
      this.parts.recorder.capture("participant_removed", actor.userId, { user_id: userId }, true);
      invitations.withdrawFrom(session, userId);
      invitations.withdrawTo(userId, target.email);
      this.parts.activity.append(
        "participant_removed",
        actor.userId,
        `${displayName(actor)} removed ${target.display_name}`,
        { user_id: userId },
        true,
      );
      state.touch();
      state.enqueue("session", "members");
    });
    this.parts.sockets.closeUser(userId, CLOSE.noAccess, "You were removed from the session");
    this.parts.sockets.broadcast({ type: "participant_left", user_id: userId });
  }

  /** Hands the session to another participant; the owner becomes an editor. */
  transfer(actor: Actor, userId: string): void {
    const { state, participants, sockets } = this.parts;
    const session = state.transaction(() => {
      const session = state.requireSession();
      if (session.owner_id !== actor.userId) refuse(403, "FORBIDDEN", "Only the owner may transfer ownership");
      if (session.status === "ended" || session.status === "archived") {
        refuse(409, "SESSION_NOT_ACTIVE", `The session is ${session.status} and read-only`);
      }
      const target = participants.member(userId);
      if (target?.status !== "active") refuse(404, "NOT_FOUND", "The new owner must be a participant");
      if (userId === actor.userId) refuse(409, "CONFLICT", "You already own this session");
      participants.setRole(actor.userId, "editor");
      participants.setRole(userId, "owner");
      state.setOwner(userId);
      this.parts.activity.append(
        "ownership_transferred",
        actor.userId,
        `${displayName(actor)} handed the session to ${target.display_name}`,
        { from: actor.userId, to: userId },
      );
      state.touch();
      state.enqueue("session", "members");
      return state.requireSession();
    });
    for (const [user, role] of [
      [userId, "owner"],
      [actor.userId, "editor"],
    ] as const) {
      sockets.broadcast({
        type: "role_changed",
        user_id: user,
        role,
        permissions: permissionsOf(role, session.permissions),
      });
    }
  }

  private activeTarget(userId: string): ParticipantRow {
    const target = this.parts.participants.member(userId);
    if (target?.status !== "active") refuse(404, "NOT_FOUND", "No such participant");
    return target;
  }
}

/** Compares invitation codes in constant time (for codes of equal length, which every real code has). */
function codesMatch(given: string, actual: string): boolean {
  const encoder = new TextEncoder();
  const left = encoder.encode(given);
  const right = encoder.encode(actual);
  if (left.byteLength !== right.byteLength) return false;
  return crypto.subtle.timingSafeEqual(left, right);
}
