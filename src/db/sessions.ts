import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import { type PermissionMap, permissionsOf, type Role } from "../domain/permissions";
import type { SessionSummary } from "../domain/schemas";
import { autoSaveEnabled } from "../domain/settings";
import type { Database } from "./client";
import { sessionParticipants, sessions } from "./schema";

type SessionRecord = typeof sessions.$inferSelect;

export function summaryOf(row: SessionRecord, role: Role | null): SessionSummary {
  return {
    id: row.id,
    song_id: row.song_id,
    template_id: row.template_id,
    owner_id: row.owner_id,
    name: row.name,
    description: row.description,
    access_mode: row.access_mode as SessionSummary["access_mode"],
    status: row.status as SessionSummary["status"],
    max_participants: row.max_participants,
    participant_count: row.participant_count,
    online_count: row.online_count,
    is_recording: row.is_recording,
    default_role: row.default_role as SessionSummary["default_role"],
    settings: row.settings as Record<string, unknown>,
    created_at: row.created_at,
    updated_at: row.updated_at,
    started_at: row.started_at,
    ended_at: row.ended_at,
    last_activity_at: row.last_activity_at,
    last_activity: row.last_activity_at,
    auto_save_enabled: autoSaveEnabled(row.settings as Record<string, unknown>),
    user_role: role,
    permissions: permissionsOf(role, row.permissions as PermissionMap),
  };
}

/** An opaque position in a list ordered by (last_activity_at, id), newest first. */
export interface Cursor {
  at: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return btoa(JSON.stringify([cursor.at, cursor.id])).replace(/=+$/, "");
}

export function decodeCursor(value: string): Cursor | null {
  try {
    const parsed: unknown = JSON.parse(atob(value));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((part) => typeof part === "string")) {
      return { at: parsed[0] as string, id: parsed[1] as string };
    }
  } catch {
    // fall through: not one of ours
  }
  return null;
}

export async function mySessions(
  db: Database,
  userId: string,
  query: { status?: string; role?: string; limit: number; cursor: Cursor | null },
): Promise<{ sessions: SessionSummary[]; next_cursor: string | null }> {
  const conditions: SQL[] = [eq(sessionParticipants.user_id, userId), eq(sessionParticipants.status, "active")];
  if (query.status) conditions.push(eq(sessions.status, query.status));
  if (query.role) conditions.push(eq(sessionParticipants.role, query.role));
  if (query.cursor) {
    conditions.push(
      or(
        lt(sessions.last_activity_at, query.cursor.at),
        and(eq(sessions.last_activity_at, query.cursor.at), lt(sessions.id, query.cursor.id)),
      )!,
    );
  }
  const rows = await db
    .select({ session: sessions, role: sessionParticipants.role })
    .from(sessionParticipants)
    .innerJoin(sessions, eq(sessions.id, sessionParticipants.session_id))
    .where(and(...conditions))
    .orderBy(desc(sessions.last_activity_at), desc(sessions.id))
    .limit(query.limit + 1)
    .all();
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    sessions: page.map((row) => summaryOf(row.session, row.role as Role)),
    next_cursor:
      rows.length > query.limit && last
        ? encodeCursor({ at: last.session.last_activity_at, id: last.session.id })
        : null,
  };
}

export async function publicSessions(db: Database, userId: string, songId?: number): Promise<SessionSummary[]> {
  const conditions: SQL[] = [eq(sessions.access_mode, "public"), eq(sessions.status, "active")];
  if (songId !== undefined) conditions.push(eq(sessions.song_id, songId));
  const rows = await db
    .select({ session: sessions, role: sessionParticipants.role, memberStatus: sessionParticipants.status })
    .from(sessions)
    .leftJoin(
      sessionParticipants,
      and(eq(sessionParticipants.session_id, sessions.id), eq(sessionParticipants.user_id, userId)),
    )
    .where(and(...conditions))
    .orderBy(desc(sessions.last_activity_at), desc(sessions.id))
    .limit(100)
    .all();
  return rows.map((row) => summaryOf(row.session, row.memberStatus === "active" ? (row.role as Role) : null));
}
