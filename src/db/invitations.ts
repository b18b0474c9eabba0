import { and, desc, eq, inArray, or } from "drizzle-orm";
import type { Actor } from "../env";
import type { Database } from "./client";
import { sessionInvitations, sessions, users } from "./schema";

/** Pending invitations addressed to the actor, by user id or by the email in their token. */
export async function myInvitations(db: Database, actor: Actor) {
  const addressedToMe = actor.email
    ? or(eq(sessionInvitations.user_id, actor.userId), eq(sessionInvitations.email, actor.email))
    : eq(sessionInvitations.user_id, actor.userId);
  const rows = await db
    .select({ invitation: sessionInvitations, session_name: sessions.name, session_status: sessions.status })
    .from(sessionInvitations)
    .innerJoin(sessions, eq(sessions.id, sessionInvitations.session_id))
    .where(and(addressedToMe, inArray(sessions.status, ["active", "paused"])))
    .orderBy(desc(sessionInvitations.created_at))
    .limit(200)
    .all();
  return rows.map((row) => ({
    id: row.invitation.id,
    session_id: row.invitation.session_id,
    session_name: row.session_name,
    session_status: row.session_status as "active" | "paused",
    role: row.invitation.role as "editor" | "commenter" | "viewer",
    invited_by: row.invitation.invited_by,
    message: row.invitation.message,
    created_at: row.invitation.created_at,
  }));
}

/** The users who have signed in with these emails (lower-cased), by email. */
export async function usersByEmail(db: Database, emails: string[]): Promise<Map<string, string>> {
  if (emails.length === 0) return new Map();
  const rows = await db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(inArray(users.email, emails))
    .orderBy(users.created_at)
    .all();
  const found = new Map<string, string>();
  for (const row of rows) if (row.email && !found.has(row.email)) found.set(row.email, row.id);
  return found;
}
