import { eq } from "drizzle-orm";
import { database } from "../db/client";
import { sessions } from "../db/schema";
import type { Bindings } from "../env";
import { ArchivedSession, loadArchive } from "../room/archive";
import { failure, type RoomResult } from "../room/result";
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

function stubFor(env: Bindings, sessionId: string): RoomApi {
  return env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(sessionId)) as unknown as RoomApi;
}

/**
 * The session's object, one per session id. An archived session's object holds nothing; calls that would change it
 * are refused as the read-only session it is.
 */
export function roomFor(env: Bindings, sessionId: string): RoomApi {
  const stub = stubFor(env, sessionId);
  return new Proxy(stub, {
    get(target, method: keyof RoomApi) {
      return async (...args: unknown[]) => {
        const call = target[method] as (...params: unknown[]) => Promise<RoomResult<unknown>>;
        const result = await call(...args);
        if (!result.ok && result.error.missing_session && (await isArchived(env, sessionId))) {
          return failure(409, "SESSION_NOT_ACTIVE", "The session has been archived and is read-only");
        }
        return result;
      };
    },
  });
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
  const live = await read(stubFor(env, sessionId));
  if (live.ok || !live.error.missing_session) return live;
  const row = await database(env.DB)
    .select({ archive_key: sessions.archive_key })
    .from(sessions)
    .where(eq(sessions.id, sessionId))
    .get();
  const archive = row?.archive_key ? await loadArchive(env, row.archive_key) : null;
  return archive ? read(new ArchivedSession(archive)) : live;
}
