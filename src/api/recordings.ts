import { createRoute, z } from "@hono/zod-openapi";
import {
  chunkKey,
  type RecordingEvent,
  type RecordingPlayback,
  type RecordingReader,
  textAt,
  visibleTo,
} from "../domain/recording";
import {
  HealthSchema,
  PlaybackRangeSchema,
  RecordingManifestSchema,
  RecordingStatusSchema,
  SessionStatsSchema,
  SnapshotQuerySchema,
  SnapshotSchema,
} from "../domain/schemas";
import type { Bindings } from "../env";
import { gunzip, parseNdjson } from "../room/compression";
import { sessionGateway } from "../room/gateway";
import { ApiError } from "./errors";
import { responses, security } from "./openapi";
import { SessionIdParam } from "./params";
import { createRouter, ok, unwrap } from "./router";

const RecordingParams = SessionIdParam.extend({
  rid: z.uuid().openapi({ param: { name: "rid", in: "path" } }),
});

/**
 * Every event of a recording its reader may see, in order: the chunks in R2, then what the object still buffers.
 */
async function* recordingEvents(
  env: Bindings,
  { manifest, tail, reader }: RecordingPlayback,
  range: { from?: number; to?: number },
): AsyncGenerator<RecordingEvent[]> {
  for (let chunk = 1; chunk <= manifest.chunks_count; chunk += 1) {
    const object = await env.BUCKET.get(chunkKey(manifest.session_id, manifest.id, chunk));
    if (!object) throw new Error(`recording chunk ${chunk} of ${manifest.id} is missing`);
    const lastT = Number(object.customMetadata?.last_t ?? Number.POSITIVE_INFINITY);
    const firstT = Number(object.customMetadata?.first_t ?? 0);
    if ((range.from !== undefined && lastT < range.from) || (range.to !== undefined && firstT > range.to)) {
      await object.body.cancel();
      continue;
    }
    yield readable(parseNdjson<RecordingEvent>(await gunzip(object.body)), range, reader);
  }
  yield readable(tail, range, reader);
}

function readable(
  events: RecordingEvent[],
  range: { from?: number; to?: number },
  reader: RecordingReader,
): RecordingEvent[] {
  return events.filter(
    (event) =>
      (range.from ?? 0) <= event.t && event.t <= (range.to ?? Number.POSITIVE_INFINITY) && visibleTo(event, reader),
  );
}

export const recordingsRouter = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/sessions/{id}/recording/start",
      tags: ["recording"],
      security,
      request: { params: SessionIdParam },
      responses: responses(RecordingStatusSchema, "Recording"),
    }),
    async (c) =>
      ok(
        c,
        unwrap(
          await sessionGateway(c.env, c.req.valid("param").id).call(c.get("actor"), (room) =>
            room.startRecording(c.get("actor")),
          ),
        ),
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sessions/{id}/recording/stop",
      tags: ["recording"],
      security,
      description: "Answers once every event of the recording is in R2.",
      request: { params: SessionIdParam },
      responses: responses(RecordingStatusSchema.extend({ recording_id: z.string() }), "Stopped"),
    }),
    async (c) =>
      ok(
        c,
        unwrap(
          await sessionGateway(c.env, c.req.valid("param").id).call(c.get("actor"), (room) =>
            room.stopRecording(c.get("actor")),
          ),
        ),
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/{id}/recording/status",
      tags: ["recording"],
      security,
      request: { params: SessionIdParam },
      responses: responses(RecordingStatusSchema, "Whether a recording is running"),
    }),
    async (c) =>
      ok(
        c,
        unwrap(
          await sessionGateway(c.env, c.req.valid("param").id).call(c.get("actor"), (room) =>
            room.recordingStatus(c.get("actor")),
          ),
        ),
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/{id}/recordings",
      tags: ["recording"],
      security,
      request: { params: SessionIdParam },
      responses: responses(z.object({ recordings: z.array(RecordingManifestSchema) }), "Recordings, newest first"),
    }),
    async (c) =>
      ok(
        c,
        unwrap(
          await sessionGateway(c.env, c.req.valid("param").id).read((reader) => reader.listRecordings(c.get("actor"))),
        ),
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/{id}/recordings/{rid}",
      tags: ["recording"],
      security,
      request: { params: RecordingParams },
      responses: responses(RecordingManifestSchema, "The manifest"),
    }),
    async (c) => {
      const { id, rid } = c.req.valid("param");
      return ok(
        c,
        unwrap(await sessionGateway(c.env, id).read((reader) => reader.recordingPlayback(c.get("actor"), rid)))
          .manifest,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/{id}/recordings/{rid}/events",
      tags: ["recording"],
      security,
      description: "One JSON event a line: {t, at, type, user_id, data}; t in ms from the start.",
      request: { params: RecordingParams, query: PlaybackRangeSchema },
      responses: {
        200: { description: "The events in order", content: { "application/x-ndjson": { schema: z.string() } } },
      },
    }),
    async (c) => {
      const { id, rid } = c.req.valid("param");
      const { from_ms, to_ms } = c.req.valid("query");
      if (from_ms !== undefined && to_ms !== undefined && from_ms > to_ms) {
        throw new ApiError(400, "VALIDATION_ERROR", "from_ms must not be after to_ms", [
          { path: "from_ms", message: "must not be after to_ms" },
        ]);
      }
      const playback = unwrap(
        await sessionGateway(c.env, id).read((reader) => reader.recordingPlayback(c.get("actor"), rid)),
      );
      const encoder = new TextEncoder();
      const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
      const writer = writable.getWriter();
      const pump = async () => {
        try {
          for await (const events of recordingEvents(c.env, playback, { from: from_ms, to: to_ms })) {
            if (events.length)
              await writer.write(encoder.encode(`${events.map((event) => JSON.stringify(event)).join("\n")}\n`));
          }
          await writer.close();
        } catch (error) {
          await writer.abort(error);
        }
      };
      c.executionCtx.waitUntil(pump());
      return new Response(readable, { headers: { "Content-Type": "application/x-ndjson; charset=utf-8" } }) as never;
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/{id}/recordings/{rid}/snapshot",
      tags: ["recording"],
      security,
      request: { params: RecordingParams, query: SnapshotQuerySchema },
      responses: responses(SnapshotSchema, "The song text as it stood at_ms into the recording"),
    }),
    async (c) => {
      const { id, rid } = c.req.valid("param");
      const { at_ms } = c.req.valid("query");
      const playback = unwrap(
        await sessionGateway(c.env, id).read((reader) => reader.recordingPlayback(c.get("actor"), rid)),
      );
      const events: RecordingEvent[] = [];
      for await (const batch of recordingEvents(c.env, playback, { to: at_ms })) events.push(...batch);
      return ok(c, { ...textAt(playback.manifest, events, at_ms), at_ms });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/{id}/health",
      tags: ["statistics"],
      security,
      request: { params: SessionIdParam },
      responses: responses(HealthSchema, "Score, level and the factors behind them"),
    }),
    async (c) =>
      ok(
        c,
        unwrap(
          await sessionGateway(c.env, c.req.valid("param").id).call(c.get("actor"), (room) =>
            room.health(c.get("actor")),
          ),
        ),
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/{id}/stats",
      tags: ["statistics"],
      security,
      request: { params: SessionIdParam },
      responses: responses(SessionStatsSchema, "What happened in the session"),
    }),
    async (c) =>
      ok(
        c,
        unwrap(
          await sessionGateway(c.env, c.req.valid("param").id).call(c.get("actor"), (room) =>
            room.stats(c.get("actor")),
          ),
        ),
      ),
  );
