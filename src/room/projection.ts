/**
 * The D1 projection of one session: the object writes it through its outbox, so "my sessions", public listings
 * and cleanup sweeps are single queries. A delivery writes whole rows, so repeating one is harmless.
 */
import { eq, getTableColumns, sql } from "drizzle-orm";
import { database } from "../db/client";
import { sessionInvitations, sessionParticipants, sessions } from "../db/schema";
import type { InvitationRow, ParticipantRow, SessionRow } from "./rows";

/** What D1 must learn of: the session row, its members, or the session's text for the song (src/db/song-writes). */
export type OutboxKind = "session" | "members" | "song";

export interface SessionProjection extends Omit<SessionRow, "invitation_code"> {
  participant_count: number;
  online_count: number;
  is_recording: boolean;
  idle_deadline_at: string | null;
  archive_due_at: string | null;
  archive_key: string | null;
  activity_count: number;
}

export interface ProjectionSnapshot {
  session: SessionProjection;
  members?: { participants: ParticipantRow[]; invitations: InvitationRow[] };
}

export type ProjectionWriter = (db: D1Database, snapshot: ProjectionSnapshot) => Promise<void>;

export const writeProjection: ProjectionWriter = async (d1, snapshot) => {
  await d1.batch(projectionStatements(d1, snapshot));
};

/**
 * The statements that write a snapshot, for a batch of their own or to ride along with another write (the song's
 * write-back), so a save costs D1 one batch.
 */
export function projectionStatements(d1: D1Database, snapshot: ProjectionSnapshot): D1PreparedStatement[] {
  const db = database(d1);
  const { session } = snapshot;
  // The projection carries exactly the D1 row; every column but the key is replaced on conflict.
  const row: typeof sessions.$inferInsert = session;

  const upsertSession = db
    .insert(sessions)
    .values(row)
    .onConflictDoUpdate({
      target: sessions.id,
      set: Object.fromEntries(
        Object.values(getTableColumns(sessions))
          .filter((column) => column.name !== "id")
          .map((column) => [column.name, sql.raw(`excluded.${column.name}`)]),
      ),
      setWhere: sql`excluded.version >= ${sessions.version}`,
    });
  const statements: { toSQL(): { sql: string; params: unknown[] } }[] = [upsertSession];
  if (snapshot.members) {
    statements.push(db.delete(sessionParticipants).where(eq(sessionParticipants.session_id, session.id)));
    for (const participant of snapshot.members.participants) {
      statements.push(
        db.insert(sessionParticipants).values({
          session_id: session.id,
          user_id: participant.user_id,
          role: participant.role,
          status: participant.status,
          joined_at: participant.joined_at,
        }),
      );
    }
    statements.push(db.delete(sessionInvitations).where(eq(sessionInvitations.session_id, session.id)));
    for (const invitation of snapshot.members.invitations) {
      statements.push(
        db.insert(sessionInvitations).values({
          id: invitation.id,
          session_id: session.id,
          user_id: invitation.user_id,
          email: invitation.email,
          role: invitation.role,
          invited_by: invitation.invited_by,
          message: invitation.message,
          created_at: invitation.created_at,
        }),
      );
    }
  }
  return statements.map((statement) => {
    const query = statement.toSQL();
    return d1.prepare(query.sql).bind(...query.params);
  });
}
