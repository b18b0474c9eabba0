/**
 * Recordings: events captured with the changes they describe, merged with the op log (an op is stored once, not
 * copied per recording), flushed to R2 as gzip NDJSON chunks with a manifest, and played back from R2 plus the tail.
 */
import {
  chunkKey,
  manifestKey,
  type RecordingEvent,
  type RecordingManifest,
  type RecordingStatus,
} from "../domain/recording";
import type { ActivityLog } from "./activity-log";
import { gzip } from "./compression";
import { SerialQueue } from "./ports";
import { refuse } from "./result";
import type { RecordingRow } from "./rows";
import type { Sequencer } from "./sequencer";
import type { SessionState } from "./session-state";

/** The longest a recording runs, and how many one session keeps. */
export const MAX_RECORDING_MS = 4 * 3600_000;
const MAX_RECORDINGS = 50;
/** Events per chunk in R2, and how long the oldest unwritten event may wait. */
const RECORDING_CHUNK_EVENTS = 1_000;
export const RECORDING_FLUSH_DELAY_MS = 30_000;

interface UnflushedEvent {
  t: number;
  line: string;
  /** Set for buffered events (rows of recording_events), which leave the buffer once in R2. */
  event_id?: number;
  /** Set for ops read from the log. */
  op_rev?: number;
}

export class Recorder {
  /** The active recording, cached because every op asks; undefined until read. */
  private activeCache: RecordingRow | null | undefined;
  /** Rows of the active recording in recording_events; undefined until counted. */
  private buffered: number | undefined;
  private readonly flushes = new SerialQueue();

  constructor(
    private readonly state: SessionState,
    private readonly sequencer: Sequencer,
    private readonly activity: ActivityLog,
    private readonly bucket: R2Bucket,
  ) {
    state.onForget(() => {
      this.activeCache = undefined;
      this.buffered = undefined;
    });
  }

  private get sql(): SqlStorage {
    return this.state.sql;
  }

  active(): RecordingRow | null {
    if (this.activeCache === undefined) {
      this.activeCache =
        (this.sql.exec("SELECT * FROM recordings WHERE status = 'recording' LIMIT 1").toArray()[0] as unknown as
          | RecordingRow
          | undefined) ?? null;
    }
    return this.activeCache;
  }

  /** Starts a recording of the text as it stands; refused while one runs or when the session keeps its maximum. */
  start(startedBy: string): string {
    if (this.active()) refuse(409, "ALREADY_RECORDING", "A recording is already running");
    if (this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM recordings").one().n >= MAX_RECORDINGS) {
      refuse(409, "RECORDING_LIMIT", `A session keeps at most ${MAX_RECORDINGS} recordings`);
    }
    const id = crypto.randomUUID();
    const document = this.sequencer.document();
    this.sql.exec(
      `INSERT INTO recordings (id, status, started_at, started_at_ms, started_by, start_rev, start_content, ops_flushed_rev)
       VALUES (?, 'recording', ?, ?, ?, ?, ?, ?)`,
      id,
      this.state.now(),
      this.state.clock(),
      startedBy,
      document.rev,
      document.content,
      document.rev,
    );
    this.activeCache = undefined;
    this.activity.append("recording_started", startedBy, "Recording started", { recording_id: id });
    return id;
  }

  /** A recording started by someone: the session counts as used, and D1 learns it is recording. */
  startBy(userId: string): string {
    const id = this.start(userId);
    this.state.touch();
    this.state.enqueue("session");
    return id;
  }

  /** The running recording stopped by someone; answers its id. */
  stopBy(userId: string): string {
    const active = this.active();
    if (!active) refuse(409, "NOT_RECORDING", "Nothing is being recorded");
    this.stop(active, userId);
    this.state.touch();
    this.state.enqueue("session");
    return active.id;
  }

  /** A stopped recording's status, counting every event it recorded. */
  stoppedStatus(id: string): RecordingStatus & { recording_id: string } {
    const row = this.row(id)!;
    return {
      is_recording: false,
      recording_id: id,
      started_at: row.started_at,
      events_count: this.eventsCount(row),
      duration_ms: row.duration_ms,
    };
  }

  stop(recording: RecordingRow, stoppedBy: string | null, reason?: "max_length"): void {
    // A recording that ran past its limit ends at the limit, whenever the alarm came.
    const now = Math.min(this.state.clock(), recording.started_at_ms + MAX_RECORDING_MS);
    const durationMs = Math.max(0, now - recording.started_at_ms);
    this.sql.exec(
      "UPDATE recordings SET status = 'stopped', stopped_at = ?, duration_ms = ?, stop_rev = ? WHERE id = ?",
      new Date(now).toISOString(),
      durationMs,
      this.sequencer.document().rev,
      recording.id,
    );
    this.activeCache = undefined;
    this.activity.append(
      "recording_stopped",
      stoppedBy,
      reason === "max_length"
        ? `Recording stopped after ${MAX_RECORDING_MS / 3600_000} hours, its longest`
        : "Recording stopped",
      { recording_id: recording.id, duration_ms: durationMs, ...(reason ? { reason } : {}) },
    );
  }

  /** The running recording once it reached its maximum length, stopped; null otherwise. */
  stopAtLimit(): RecordingRow | null {
    const active = this.active();
    if (!active || active.started_at_ms + MAX_RECORDING_MS > this.state.clock()) return null;
    this.stop(active, null, "max_length");
    return active;
  }

  limitDeadline(): number | null {
    const active = this.active();
    return active ? active.started_at_ms + MAX_RECORDING_MS : null;
  }

  /** Appends an event to the active recording, if any; durable with the change it describes. */
  capture(type: string, userId: string | null, data: unknown, isPrivate = false): void {
    const recording = this.active();
    if (!recording) return;
    const now = this.state.clock();
    const event: RecordingEvent = {
      t: Math.max(0, now - recording.started_at_ms),
      at: new Date(now).toISOString(),
      type,
      user_id: userId,
      data,
      ...(isPrivate ? { private: true as const } : {}),
    };
    this.sql.exec(
      "INSERT INTO recording_events (recording_id, t, rev, line) VALUES (?, ?, ?, ?)",
      recording.id,
      event.t,
      this.sequencer.document().rev,
      JSON.stringify(event),
    );
    if (this.buffered !== undefined) this.buffered += 1;
  }

  row(id: string): RecordingRow | null {
    return (
      (this.sql.exec("SELECT * FROM recordings WHERE id = ?", id).toArray()[0] as unknown as
        | RecordingRow
        | undefined) ?? null
    );
  }

  /** Every recording, newest first. */
  all(): RecordingRow[] {
    return this.sql.exec("SELECT * FROM recordings ORDER BY started_at_ms DESC").toArray() as unknown as RecordingRow[];
  }

  hasAny(): boolean {
    return this.sql.exec("SELECT 1 FROM recordings LIMIT 1").toArray().length > 0;
  }

  status(): RecordingStatus {
    const active = this.active();
    if (!active) return { is_recording: false, events_count: 0, duration_ms: 0 };
    return {
      is_recording: true,
      recording_id: active.id,
      started_at: active.started_at,
      events_count: this.eventsCount(active),
      duration_ms: Math.max(0, this.state.clock() - active.started_at_ms),
    };
  }

  manifestOf(sessionId: string, row: RecordingRow): RecordingManifest {
    return {
      id: row.id,
      session_id: sessionId,
      status: row.status,
      started_at: row.started_at,
      stopped_at: row.stopped_at,
      started_by: row.started_by,
      duration_ms: this.durationOf(row),
      events_count: this.eventsCount(row),
      chunks_count: row.chunks_count,
      start_rev: row.start_rev,
      start_content: row.start_content,
    };
  }

  durationOf(row: RecordingRow): number {
    return row.status === "recording" ? Math.max(0, this.state.clock() - row.started_at_ms) : row.duration_ms;
  }

  /** Events recorded so far: those in R2 and those still waiting. */
  eventsCount(row: RecordingRow): number {
    return row.events_count + this.eventRowsOf(row.id) + Math.max(0, this.recordedUntilRev(row) - row.ops_flushed_rev);
  }

  /** The events not in R2 yet, oldest first. */
  tail(row: RecordingRow): RecordingEvent[] {
    return this.unflushedEvents(row).map((event) => JSON.parse(event.line) as RecordingEvent);
  }

  /** The lowest revision a recording still has to read from the op log. */
  logFloor(): number {
    return (
      this.sql
        .exec<{ rev: number | null }>(
          "SELECT min(ops_flushed_rev) AS rev FROM recordings WHERE status = 'recording' OR stop_rev > ops_flushed_rev",
        )
        .one().rev ?? Number.POSITIVE_INFINITY
    );
  }

  /** Starts a flush when the active recording's buffer is full; ops call it without waiting. */
  flushIfFull(): void {
    const recording = this.active();
    if (!recording) return;
    this.buffered ??= this.eventRowsOf(recording.id);
    const waiting = this.buffered + this.recordedUntilRev(recording) - recording.ops_flushed_rev;
    if (waiting >= RECORDING_CHUNK_EVENTS) void this.flush(false);
  }

  /**
   * Moves buffered events to R2 as gzip NDJSON chunks and keeps each manifest in R2 up to date. A running recording
   * flushes when its buffer is full or its oldest event has waited long enough (or `force`); a stopped one always
   * flushes everything.
   */
  flush(force: boolean): Promise<void> {
    return this.flushes.run(async () => {
      const session = this.state.sessionOrNull();
      if (!session) return;
      for (const listed of this.toFlush(true)) {
        while (await this.flushChunk(session.id, listed.id, force)) {
          // one chunk at a time, until nothing more is due
        }
        const current = this.row(listed.id)!;
        if (current.manifest_status !== current.status) {
          await this.bucket.put(
            manifestKey(session.id, current.id),
            JSON.stringify(this.manifestOf(session.id, current)),
            {
              httpMetadata: { contentType: "application/json" },
            },
          );
          this.sql.exec("UPDATE recordings SET manifest_status = ? WHERE id = ?", current.status, current.id);
        }
      }
    });
  }

  /** Writes the recording's next chunk when one is due; answers whether it wrote one. */
  private async flushChunk(sessionId: string, recordingId: string, force: boolean): Promise<boolean> {
    const row = this.row(recordingId)!;
    const events = this.unflushedEvents(row, RECORDING_CHUNK_EVENTS * 5);
    const first = events[0];
    const last = events[events.length - 1];
    if (!first || !last) return false;
    const due =
      row.status === "stopped" ||
      force ||
      events.length >= RECORDING_CHUNK_EVENTS ||
      row.started_at_ms + first.t + RECORDING_FLUSH_DELAY_MS <= this.state.clock();
    if (!due) return false;
    const chunk = row.chunks_count + 1;
    const body = await gzip(`${events.map((event) => event.line).join("\n")}\n`);
    await this.bucket.put(chunkKey(sessionId, row.id, chunk), body, {
      httpMetadata: { contentType: "application/x-ndjson", contentEncoding: "gzip" },
      customMetadata: { first_t: String(first.t), last_t: String(last.t), events: String(events.length) },
    });
    let lastEventId: number | null = null;
    let lastOpRev = row.ops_flushed_rev;
    for (const event of events) {
      if (event.event_id !== undefined) lastEventId = event.event_id;
      if (event.op_rev !== undefined) lastOpRev = event.op_rev;
    }
    this.state.transaction(() => {
      if (lastEventId !== null) {
        this.sql.exec("DELETE FROM recording_events WHERE recording_id = ? AND id <= ?", row.id, lastEventId);
      }
      this.sql.exec(
        "UPDATE recordings SET chunks_count = ?, events_count = events_count + ?, ops_flushed_rev = ? WHERE id = ?",
        chunk,
        events.length,
        lastOpRev,
        row.id,
      );
    });
    this.activeCache = undefined;
    this.buffered = undefined;
    return true;
  }

  /** When the next flush is due: now for an unwritten manifest, else the oldest waiting event's deadline. */
  flushDeadline(): number | null {
    const unwritten = this.sql
      .exec("SELECT 1 FROM recordings WHERE manifest_status IS NOT status LIMIT 1")
      .toArray().length;
    if (unwritten) return this.state.clock();
    let deadline: number | null = null;
    for (const row of this.toFlush(false)) {
      const first = this.unflushedEvents(row, 1)[0];
      if (!first) continue;
      const due =
        row.status === "stopped" ? this.state.clock() : row.started_at_ms + first.t + RECORDING_FLUSH_DELAY_MS;
      deadline = deadline === null ? due : Math.min(deadline, due);
    }
    return deadline;
  }

  /** Recordings that may have events to write: the running one, and stopped ones with events or ops left. */
  private toFlush(withUnwrittenManifests: boolean): RecordingRow[] {
    return this.sql
      .exec(
        `SELECT * FROM recordings WHERE status = 'recording' OR stop_rev > ops_flushed_rev
           OR id IN (SELECT DISTINCT recording_id FROM recording_events)
           OR (? = 1 AND manifest_status IS NOT status)`,
        withUnwrittenManifests ? 1 : 0,
      )
      .toArray() as unknown as RecordingRow[];
  }

  private eventRowsOf(recordingId: string): number {
    return this.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM recording_events WHERE recording_id = ?", recordingId)
      .one().n;
  }

  /** The last revision a recording covers: where it stopped, or the current one while it runs. */
  private recordedUntilRev(row: RecordingRow): number {
    return row.stop_rev ?? this.sequencer.document().rev;
  }

  /**
   * A recording's events not in R2 yet, oldest first, at most `limit`: its buffered events merged with the ops it
   * covers, read from the op log. A buffered event notes the revision it followed, which places it among the ops.
   */
  private unflushedEvents(row: RecordingRow, limit = Number.POSITIVE_INFINITY): UnflushedEvent[] {
    const sqlLimit = Number.isFinite(limit) ? limit : -1;
    const events = this.sql
      .exec<{ id: number; rev: number; t: number; line: string }>(
        "SELECT id, rev, t, line FROM recording_events WHERE recording_id = ? ORDER BY id LIMIT ?",
        row.id,
        sqlLimit,
      )
      .toArray();
    const ops = this.sequencer.storedOps(row.ops_flushed_rev, this.recordedUntilRev(row), sqlLimit);
    const merged: UnflushedEvent[] = [];
    let eventIndex = 0;
    let opIndex = 0;
    while (merged.length < limit && (eventIndex < events.length || opIndex < ops.length)) {
      const event = events[eventIndex];
      const op = ops[opIndex];
      if (op && (!event || op.rev <= event.rev)) {
        const t = Math.max(0, Date.parse(op.created_at) - row.started_at_ms);
        const recorded: RecordingEvent = {
          t,
          at: op.created_at,
          type: "op",
          user_id: op.user_id,
          data: { rev: op.rev, op: JSON.parse(op.op) },
        };
        merged.push({ t, line: JSON.stringify(recorded), op_rev: op.rev });
        opIndex += 1;
      } else if (event) {
        merged.push({ t: event.t, line: event.line, event_id: event.id });
        eventIndex += 1;
      }
    }
    return merged;
  }
}
