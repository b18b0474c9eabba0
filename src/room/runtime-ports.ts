/**
 * The ports a session's object builds its modules on, over the Workers runtime: its storage, sockets and alarm, R2,
 * D1, the mail service and the clock. What tests replace on the object (`Replaceable`) is looked up at each use, so a
 * replacement made after the object was built takes effect at once.
 */
import type { Bindings } from "../env";
import type { RoomPorts } from "./assembly";
import type { Clock, EmailSender, SongWriter } from "./ports";
import type { ProjectionWriter } from "./projection";
import { messagesPerSecond } from "./rate-limit";

/**
 * What tests replace on the object: D1's writers and the mail service (to make them fail, to see what they were
 * given) and the clock.
 */
export interface Replaceable {
  projectionWriter: ProjectionWriter;
  songWriter: SongWriter;
  emailSender: EmailSender;
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
    email: {
      send: (email) => replaceable.emailSender(email),
      from: env.EMAIL_FROM ?? null,
      publicUrl: env.PUBLIC_URL ?? null,
    },
    clock: () => replaceable.clock(),
    messagesPerSecond: messagesPerSecond(env.WS_MESSAGES_PER_SECOND),
  };
}
