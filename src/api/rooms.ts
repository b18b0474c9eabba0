import { eq } from "drizzle-orm";
import { database } from "../db/client";
import { sessions } from "../db/schema";
import type { Bindings } from "../env";
import { ArchivedSession, loadArchive } from "../room/archive";
import type { RoomResult } from "../room/result";
import type { SessionRoom } from "../room/session-room";

/**
 * The RPC methods of a session's object, typed as the class declares them (the generic stub type
 * loses the shape of results that carry free-form JSON such as `settings`).
 */
export type RoomApi = {
  // biome-ignore lint/suspicious/noExplicitAny: matches any RPC method answering a RoomResult
  [K in keyof SessionRoom as SessionRoom[K] extends (...args: any[]) => Promise<RoomResult<any>>
    ? K
    : never]: SessionRoom[K];
};

/** The stub of a session's object; one object per session id. */
export function roomFor(env: Bindings, sessionId: string): RoomApi {
  return env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(sessionId)) as unknown as RoomApi;
}

/** Whether D1 knows the session as archived (its object then holds nothing). */
export async function isArchived(env: Bindings, sessionId: string): Promise<boolean> {
  const row = await database(env.DB)
    .select({ status: sessions.status })
    .from(sessions)
    .where(eq(sessions.id, sessionId))
    .get();
  return row?.status === "archived";
}

type Reader = Pick<RoomApi, "view" | "listParticipants" | "activities" | "listRecordings" | "recordingPlayback">;

/**
 * A read of a session: from its object while it lives, from its archive in R2 once archived
 * (the object then holds nothing and answers that the session is missing).
 */
export async function readSession<T>(
  env: Bindings,
  sessionId: string,
  read: (reader: Reader | ArchivedSession) => Promise<RoomResult<T>> | RoomResult<T>,
): Promise<RoomResult<T>> {
  const live = await read(roomFor(env, sessionId));
  if (live.ok || !live.error.missing_session) return live;
  const row = await database(env.DB)
    .select({ archive_key: sessions.archive_key })
    .from(sessions)
    .where(eq(sessions.id, sessionId))
    .get();
  const archive = row?.archive_key ? await loadArchive(env, row.archive_key) : null;
  return archive ? read(new ArchivedSession(archive)) : live;
}
