import type { Bindings } from "../env";
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
