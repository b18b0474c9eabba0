/**
 * The invitations table: invitations sent (within their caps and the inviter's rights, each new one with its email
 * queued), listed for those who may invite, revoked, withdrawn when the inviter loses the right, declined by their
 * invitee, and closed when the invitee joins.
 */
import { encodeCursor } from "../db/sessions";
import type { Actor } from "../domain/actor";
import { displayName } from "../domain/actor";
import type { SessionInvitation, SessionInvitationPage } from "../domain/invitation-schemas";
import { invitationStands, inviteRefusal } from "../domain/membership";
import { type AssignableRole, authorize } from "../domain/permissions";
import type { InviteResult } from "../domain/schemas";
import type { ActivityLog } from "./activity-log";
import type { MailQueue } from "./mail-queue";
import type { Participants } from "./participants";
import { refuse } from "./result";
import type { InvitationRow, SessionRow } from "./rows";
import type { InvitationPageQuery, Invitee } from "./rpc-types";
import type { SessionState } from "./session-state";

/** Pending invitations a session may hold, and invitations one inviter may send in a day, in one session. */
const MAX_PENDING_INVITATIONS = 200;
const MAX_INVITATIONS_PER_INVITER_PER_DAY = 100;

export class Invitations {
  constructor(
    private readonly state: SessionState,
    private readonly participants: Participants,
    private readonly activity: ActivityLog,
    private readonly mail: MailQueue,
  ) {}

  private get sql(): SqlStorage {
    return this.state.sql;
  }

  /** Invites each invitee the actor may invite; answers per invitee, in the shape of the request. */
  invite(session: SessionRow, actor: Actor, invitees: Invitee[], message: string | undefined): InviteResult {
    const inviter = this.participants.member(actor.userId)!;
    const mayManage = authorize(session, inviter, "manage_participants") === null;
    const outcome: InviteResult = { invited: [], errors: [] };
    const dayAgo = new Date(this.state.clock() - 24 * 3600_000).toISOString();
    let pendingCount = this.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM invitations WHERE status = 'pending'")
      .one().n;
    let sentToday = this.sql
      .exec<{ n: number }>(
        "SELECT count(*) AS n FROM invitations WHERE invited_by = ? AND created_at >= ?",
        actor.userId,
        dayAgo,
      )
      .one().n;
    for (const [index, invitee] of invitees.entries()) {
      const userId = invitee.user_id ?? null;
      const email = invitee.email ?? null;
      // An address is invited as an address, whoever holds it, and is answered the same whether or not it belongs
      // to a participant.
      const echo = email !== null ? { email } : { user_id: userId! };
      const member = userId ? this.participants.member(userId) : null;
      if (member?.status === "active") {
        outcome.invited.push({ ...echo, role: invitee.role, status: "already_participant" });
        continue;
      }
      const pending = this.pendingTo(userId, email);
      const refusal = inviteRefusal({
        inviterId: actor.userId,
        inviterRole: inviter.role,
        mayManage,
        role: invitee.role,
        pendingInvitedBy: pending?.invited_by ?? null,
      });
      if (refusal) {
        outcome.errors.push({ index, ...refusal });
        continue;
      }
      let invitationId = pending?.id;
      if (pending) {
        this.sql.exec(
          "UPDATE invitations SET role = ?, invited_by = ?, message = ? WHERE id = ?",
          invitee.role,
          actor.userId,
          message ?? null,
          pending.id,
        );
      } else {
        const limit =
          pendingCount >= MAX_PENDING_INVITATIONS
            ? `A session can have at most ${MAX_PENDING_INVITATIONS} pending invitations; revoke some first`
            : sentToday >= MAX_INVITATIONS_PER_INVITER_PER_DAY
              ? `You can send at most ${MAX_INVITATIONS_PER_INVITER_PER_DAY} invitations a day in a session`
              : null;
        if (limit) {
          outcome.errors.push({ index, code: "INVITATION_LIMIT", message: limit });
          continue;
        }
        invitationId = crypto.randomUUID();
        this.sql.exec(
          `INSERT INTO invitations (id, user_id, email, role, invited_by, message, status, created_at)
           VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`,
          invitationId,
          userId,
          email,
          invitee.role,
          actor.userId,
          message ?? null,
          this.state.now(),
        );
        // A new invitation is emailed once; changing a pending one sends nothing more.
        this.mail.add(invitationId);
        pendingCount += 1;
        sentToday += 1;
      }
      outcome.invited.push({ ...echo, role: invitee.role, status: "invited", invitation_id: invitationId });
    }
    const invitedCount = outcome.invited.filter((entry) => entry.status === "invited").length;
    if (invitedCount > 0) {
      this.activity.append(
        "user_invited",
        actor.userId,
        `${displayName(actor)} invited ${invitedCount} ${invitedCount === 1 ? "person" : "people"}`,
        { count: invitedCount },
      );
      this.state.touch();
      this.state.enqueue("members");
    }
    return outcome;
  }

  /** Revokes a pending invitation: its sender may, and so may whoever manages participants. */
  revoke(session: SessionRow, actor: Actor, invitationId: string): void {
    const invitation = this.sql
      .exec<{ invited_by: string }>(
        "SELECT invited_by FROM invitations WHERE id = ? AND status = 'pending'",
        invitationId,
      )
      .toArray()[0];
    if (!invitation) refuse(404, "NOT_FOUND", "No pending invitation with this id");
    if (
      invitation.invited_by !== actor.userId &&
      authorize(session, this.participants.member(actor.userId), "manage_participants") !== null
    ) {
      refuse(403, "FORBIDDEN", "Only whoever sent an invitation, or someone who manages participants, may revoke it");
    }
    this.close(invitationId, "revoked");
    this.activity.append("invitation_revoked", actor.userId, `${displayName(actor)} revoked an invitation`, null, true);
  }

  /** Revokes the pending invitations a user sent that they could not send now (after a demotion or a removal). */
  withdrawFrom(session: SessionRow, senderId: string): void {
    const sender = this.participants.member(senderId);
    const role = sender?.status === "active" ? sender.role : null;
    const mayInvite = authorize(session, sender, "invite") === null;
    const sent = this.sql
      .exec<{ id: string; role: AssignableRole }>(
        "SELECT id, role FROM invitations WHERE status = 'pending' AND invited_by = ?",
        senderId,
      )
      .toArray();
    for (const invitation of sent) {
      if (!invitationStands(invitation.role, role, mayInvite)) this.close(invitation.id, "revoked");
    }
  }

  /** Withdraws whatever invitation was still open for a user, by id or by their address. */
  withdrawTo(userId: string, email: string | null): void {
    this.sql.exec(
      "UPDATE invitations SET status = 'revoked', closed_at = ? WHERE status = 'pending' AND (user_id = ? OR (email IS NOT NULL AND email = ?))",
      this.state.now(),
      userId,
      email,
    );
  }

  /** The invitee turns down a pending invitation addressed to them; it then admits nobody. */
  decline(actor: Actor, invitationId: string): void {
    const session = this.state.requireSession();
    if (!this.pendingFor(actor).some((invitation) => invitation.id === invitationId)) {
      refuse(404, "NOT_FOUND", "You have no pending invitation with this id");
    }
    if (session.status === "ended" || session.status === "archived") {
      refuse(409, "SESSION_NOT_ACTIVE", `The session is ${session.status}; its invitations admit nobody`);
    }
    this.close(invitationId, "declined");
    const text = `${displayName(actor)} declined an invitation`;
    this.activity.append("invitation_declined", actor.userId, text, { invitation_id: invitationId }, true);
  }

  close(id: string, status: "accepted" | "revoked" | "declined"): void {
    this.sql.exec("UPDATE invitations SET status = ?, closed_at = ? WHERE id = ?", status, this.state.now(), id);
    this.state.enqueue("members");
  }

  /** Pending invitations addressed to the actor, by user id or by the (verified) email in their token, newest first. */
  pendingFor(actor: Actor): InvitationRow[] {
    return this.sql
      .exec(
        `SELECT * FROM invitations WHERE status = 'pending' AND (user_id = ? OR (? IS NOT NULL AND email = ?))
         ORDER BY created_at DESC`,
        actor.userId,
        actor.email,
        actor.email,
      )
      .toArray() as unknown as InvitationRow[];
  }

  /** The pending invitation with this id, if any. */
  pendingById(id: string): InvitationRow | null {
    return (
      (this.sql.exec("SELECT * FROM invitations WHERE id = ? AND status = 'pending'", id).toArray()[0] as unknown as
        | InvitationRow
        | undefined) ?? null
    );
  }

  /**
   * A page of the invitations in one status, newest first, for someone who may invite: an address is shown only to
   * those who manage participants and to whoever sent that invitation.
   */
  page(session: SessionRow, actor: Actor, query: InvitationPageQuery): SessionInvitationPage {
    const seesEveryEmail = authorize(session, this.participants.member(actor.userId), "manage_participants") === null;
    const cursor = query.cursor;
    const rows = this.sql
      .exec(
        `SELECT * FROM invitations WHERE status = ?
         ${cursor ? "AND (created_at < ? OR (created_at = ? AND id < ?))" : ""}
         ORDER BY created_at DESC, id DESC LIMIT ?`,
        query.status,
        ...(cursor ? [cursor.at, cursor.at, cursor.id] : []),
        query.limit + 1,
      )
      .toArray() as unknown as InvitationRow[];
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      invitations: page.map((row) => this.listed(row, seesEveryEmail || row.invited_by === actor.userId)),
      next_cursor: rows.length > query.limit && last ? encodeCursor({ at: last.created_at, id: last.id }) : null,
    };
  }

  private listed(row: InvitationRow, seesEmail: boolean): SessionInvitation {
    const inviter = this.participants.member(row.invited_by);
    return {
      id: row.id,
      user_id: row.user_id,
      ...(seesEmail ? { email: row.email } : {}),
      role: row.role,
      status: row.status === "declined" ? "declined" : "pending",
      invited_by: { user_id: row.invited_by, display_name: inviter?.display_name ?? row.invited_by },
      message: row.message,
      created_at: row.created_at,
      declined_at: row.status === "declined" ? row.closed_at : null,
    };
  }

  pending(): InvitationRow[] {
    return this.sql
      .exec("SELECT * FROM invitations WHERE status = 'pending' ORDER BY created_at")
      .toArray() as unknown as InvitationRow[];
  }

  /** The pending invitation addressed to this user id or this address, if any. */
  private pendingTo(userId: string | null, email: string | null): InvitationRow | null {
    return (
      (this.sql
        .exec(
          `SELECT * FROM invitations WHERE status = 'pending'
           AND ((? IS NOT NULL AND user_id = ?) OR (? IS NOT NULL AND email = ?)) LIMIT 1`,
          userId,
          userId,
          email,
          email,
        )
        .toArray()[0] as unknown as InvitationRow | undefined) ?? null
    );
  }
}
