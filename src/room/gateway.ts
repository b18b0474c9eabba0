/**
 * The one door from a route to a session's object, on the Worker's side: the typed stub for a session id, with the
 * caller passed to each RPC call as its first argument. An archived session's object holds nothing; the gateway
 * then answers from the archive in R2, authorizing the caller first as the live session would.
 */
import { eq } from "drizzle-orm";
import { database } from "../db/client";
import { sessions } from "../db/schema";
import type { Actor } from "../domain/actor";
import { CLOSE } from "../domain/protocol";
import type { Bindings } from "../env";
import { ArchivedSession, loadArchive, type SessionArchive } from "./archive";
import type { Admission } from "./realtime";
import { refusedSocket } from "./refused-socket";
import { failure, type RoomError, type RoomResult } from "./result";
import type { SessionRoom } from "./session-room";
import { upgradeRequest } from "./upgrade-request";

/**
 * The RPC methods of a session's object, typed as the class declares them (the generic stub type loses the shape of
 * results that carry free-form JSON such as `settings`).
 */
export type RoomApi = {
  // biome-ignore lint/suspicious/noExplicitAny: matches any RPC method answering a RoomResult
  [K in keyof SessionRoom as SessionRoom[K] extends (...args: any[]) => Promise<RoomResult<any>>
    ? K
    : never]: SessionRoom[K];
};

/** What a read needs, answered alike by the live object and by an archive. */
export type SessionReader = Pick<
  RoomApi,
  "view" | "listParticipants" | "activities" | "listRecordings" | "recordingPlayback"
>;

export class SessionGateway {
  constructor(
    private readonly env: Bindings,
    private readonly sessionId: string,
  ) {}

  private get room(): RoomApi {
    const namespace = this.env.SESSION_ROOM;
    return namespace.get(namespace.idFromName(this.sessionId)) as unknown as RoomApi;
  }

  /** One RPC call of `actor` (null for the cleanup sweep); an archived session refuses it as the read-only session it is. */
  async call<T>(actor: Actor | null, rpc: (room: RoomApi) => Promise<RoomResult<T>>): Promise<RoomResult<T>> {
    const result = await rpc(this.room);
    if (result.ok || !result.error.missing_session) return result;
    return (await this.archivedRefusal(actor)) ?? result;
  }

  /** A read: from the object while it lives, from its archive in R2 once archived. */
  async read<T>(
    read: (reader: SessionReader | ArchivedSession) => Promise<RoomResult<T>> | RoomResult<T>,
  ): Promise<RoomResult<T>> {
    const live = await read(this.room);
    if (live.ok || !live.error.missing_session) return live;
    const archive = await this.archive();
    return archive ? read(new ArchivedSession(archive, this.env.BUCKET)) : live;
  }

  /** The WebSocket upgrade; an archived or unknown session answers with a refused socket and its close code. */
  async upgrade(admission: Admission): Promise<Response> {
    const namespace = this.env.SESSION_ROOM;
    const response = await namespace.get(namespace.idFromName(this.sessionId)).fetch(upgradeRequest(admission));
    if (response.status !== 404) return response;
    const archived = await this.archivedRefusal(admission.actor);
    if (!archived) return refusedSocket(CLOSE.noSession, "No such session");
    return archived.error.code === "SESSION_NOT_ACTIVE"
      ? refusedSocket(CLOSE.sessionClosed, "The session has been archived")
      : refusedSocket(CLOSE.noAccess, archived.error.message);
  }

  /**
   * The answer for a session that is archived, or null when it is not: the caller is authorized first, as a live
   * session would (a stranger of a private session is refused, a removed user too), and only then told that the
   * session is archived and read-only.
   */
  private async archivedRefusal(actor: Actor | null): Promise<{ ok: false; error: RoomError } | null> {
    const archive = await this.archive();
    if (!archive) return null;
    if (actor) {
      const read = new ArchivedSession(archive, this.env.BUCKET).view(actor);
      if (!read.ok) return read;
    }
    return failure(409, "SESSION_NOT_ACTIVE", "The session has been archived and is read-only");
  }

  private async archive(): Promise<SessionArchive | null> {
    const row = await database(this.env.DB)
      .select({ status: sessions.status, archive_key: sessions.archive_key })
      .from(sessions)
      .where(eq(sessions.id, this.sessionId))
      .get();
    return row?.status === "archived" && row.archive_key ? loadArchive(this.env, row.archive_key) : null;
  }
}

export function sessionGateway(env: Bindings, sessionId: string): SessionGateway {
  return new SessionGateway(env, sessionId);
}
