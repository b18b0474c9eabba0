import { and, count, desc, eq, gte, inArray, lt, or, type SQL } from "drizzle-orm";
import type { Actor } from "../domain/actor";
import type { Database } from "./client";
import { sessionInvitations, sessions } from "./schema";
import { type Cursor, encodeCursor } from "./sessions";

/**
 * Pending invitations addressed to the actor, by user id or by the (verified) email in their token, newest first,
 * a page at a time.
 */
export async function myInvitations(db: Database, actor: Actor, page: { limit: number; cursor: Cursor | null }) {
  const addressedToMe = actor.email
    ? or(eq(sessionInvitations.user_id, actor.userId), eq(sessionInvitations.email, actor.email))
    : eq(sessionInvitations.user_id, actor.userId);
  const conditions: SQL[] = [addressedToMe!, inArray(sessions.status, ["active", "paused"])];
  if (page.cursor) {
    conditions.push(
      or(
        lt(sessionInvitations.created_at, page.cursor.at),
        and(eq(sessionInvitations.created_at, page.cursor.at), lt(sessionInvitations.id, page.cursor.id)),
      )!,
    );
  }
  const rows = await db
    .select({ invitation: sessionInvitations, session_name: sessions.name, session_status: sessions.status })
    .from(sessionInvitations)
    .innerJoin(sessions, eq(sessions.id, sessionInvitations.session_id))
    .where(and(...conditions))
    .orderBy(desc(sessionInvitations.created_at), desc(sessionInvitations.id))
    .limit(page.limit + 1)
    .all();
  const last = rows[Math.min(rows.length, page.limit) - 1];
  const invitations = rows.slice(0, page.limit).map((row) => ({
    id: row.invitation.id,
    session_id: row.invitation.session_id,
    session_name: row.session_name,
    session_status: row.session_status as "active" | "paused",
    role: row.invitation.role as "editor" | "commenter" | "viewer",
    invited_by: row.invitation.invited_by,
    message: row.invitation.message,
    created_at: row.invitation.created_at,
  }));
  return {
    invitations,
    next_cursor:
      rows.length > page.limit && last
        ? encodeCursor({ at: last.invitation.created_at, id: last.invitation.id })
        : null,
  };
}

/** Pending invitations the inviter sent since `since`, across every session (D1 holds the pending ones). */
export async function pendingInvitationsSentSince(db: Database, inviterId: string, since: string): Promise<number> {
  const row = await db
    .select({ n: count() })
    .from(sessionInvitations)
    .where(and(eq(sessionInvitations.invited_by, inviterId), gte(sessionInvitations.created_at, since)))
    .get();
  return row?.n ?? 0;
}

/**
 * The session of a pending invitation addressed to the actor (by user id or by the email in their token), from the
 * projection; null when there is none, so nobody learns of invitations addressed to others.
 */
export async function sessionOfMyInvitation(db: Database, actor: Actor, invitationId: string): Promise<string | null> {
  const addressedToMe = actor.email
    ? or(eq(sessionInvitations.user_id, actor.userId), eq(sessionInvitations.email, actor.email))
    : eq(sessionInvitations.user_id, actor.userId);
  const row = await db
    .select({ session_id: sessionInvitations.session_id })
    .from(sessionInvitations)
    .where(and(eq(sessionInvitations.id, invitationId), addressedToMe))
    .get();
  return row?.session_id ?? null;
}
