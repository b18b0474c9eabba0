/**
 * The ports a session's object builds its modules on, over the Workers runtime: its storage, sockets and alarm, R2,
 * D1 and the clock. What tests replace on the object (`Replaceable`) is looked up at each use, so a replacement made
 * after the object was built takes effect at once.
 */
import type { Bindings } from "../env";
import type { RoomPorts } from "./assembly";
import type { Clock, SongWriter } from "./ports";
import type { ProjectionWriter } from "./projection";
import { messagesPerSecond } from "./rate-limit";

/** What tests replace on the object: D1's writers (to make them fail) and the clock. */
export interface Replaceable {
  projectionWriter: ProjectionWriter;
  songWriter: SongWriter;
  clock: Clock;
}

export function runtimePorts(ctx: DurableObjectState, env: Bindings, replaceable: Replaceable): RoomPorts {
  return {
    storage: ctx.storage,
    sockets: ctx,
    bucket: env.BUCKET,
    d1: {
      db: env.DB,
      writeProjection: (db, snapshot) => replaceable.projectionWriter(db, snapshot),
      writeSong: (db, input, alsoWrite) => replaceable.songWriter(db, input, alsoWrite),
    },
    clock: () => replaceable.clock(),
    messagesPerSecond: messagesPerSecond(env.WS_MESSAGES_PER_SECOND),
  };
}
