import { eq } from "drizzle-orm";
import { database } from "../db/client";
import { sessions } from "../db/schema";
import type { Actor } from "../domain/actor";
import type { Bindings } from "../env";
import { ArchivedSession, loadArchive, type SessionArchive } from "../room/archive";
import { failure, type RoomError, type RoomResult } from "../room/result";
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
        if (!result.ok && result.error.missing_session) {
          const actor = isActor(args[0]) ? args[0] : null;
          return (await archivedRefusal(env, sessionId, actor)) ?? result;
        }
        return result;
      };
    },
  });
}

function isActor(value: unknown): value is Actor {
  return typeof value === "object" && value !== null && typeof (value as Actor).userId === "string";
}

/**
 * The answer for a session that is archived (its object then holds nothing), or null when it is not: the caller is
 * authorized first, as a live session would (a stranger of a private session is refused, a removed user too), and
 * only then told that the session is archived and read-only.
 */
export async function archivedRefusal(
  env: Bindings,
  sessionId: string,
  actor: Actor | null,
): Promise<{ ok: false; error: RoomError } | null> {
  const archive = await archiveOf(env, sessionId);
  if (!archive) return null;
  if (actor) {
    const read = new ArchivedSession(archive, env.BUCKET).view(actor);
    if (!read.ok) return read;
  }
  return failure(409, "SESSION_NOT_ACTIVE", "The session has been archived and is read-only");
}

async function archiveOf(env: Bindings, sessionId: string): Promise<SessionArchive | null> {
  const row = await database(env.DB)
    .select({ status: sessions.status, archive_key: sessions.archive_key })
    .from(sessions)
    .where(eq(sessions.id, sessionId))
    .get();
  return row?.status === "archived" && row.archive_key ? loadArchive(env, row.archive_key) : null;
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
  const archive = await archiveOf(env, sessionId);
  return archive ? read(new ArchivedSession(archive, env.BUCKET)) : live;
}
