/**
 * Storage: what one session's object keeps as the session grows longer. One session of the counted copy with the
 * Band Practice template (it records from the start, so the recording's hold on the op log is part of it), one
 * editor in a closed loop (one op in flight, the next sent as soon as the ack comes) alternating an insert of "x"
 * at the start of the text and its delete, so the text stays the size of the song while the op log takes one op
 * after another. At each mark (e.g. 10,000 and 100,000 ops) the object's storage is read through
 * GET /__bench/storage of the counted copy: its database size, the rows of every table and the bytes of op JSON
 * in its log.
 *
 * The unbounded log it replaced kept one row per op forever; that baseline is computed from the op count (rows)
 * and from the ops sent (bytes of op JSON), not measured.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type as textType } from "ot-text-unicode";
import { Recorder } from "../lib/clients.mjs";
import { CpuMeter, round } from "../lib/proc.mjs";
import { COUNTED_WS_MESSAGES_PER_SECOND, ROOT } from "../lib/services.mjs";
import { summarize } from "../lib/stats.mjs";

const INSERT = ["x"];
const DELETE = [{ d: 1 }];
const BAND_PRACTICE = 1;
/** An op unacknowledged for this long, or a socket closed under the editor, means starting again from the text. */
const STALL_MS = 10_000;
const MAX_RECOVERIES = 10;
/** A message the server dropped for the connection's rate limit is sent again after this long. */
const RATE_LIMIT_RETRY_MS = 2;

/**
 * The log window as src/room/sequencer.ts sets it under `root` (the snapshot being served), for the report (null
 * for a constant that is not found).
 */
function logWindow(root) {
  let source = "";
  try {
    source = readFileSync(join(root, "src/room/sequencer.ts"), "utf8");
  } catch {
    // no figures
  }
  const constant = (name) => {
    const match = source.match(new RegExp(`export const ${name} = ([^;]+);`));
    if (!match) return null;
    const value = match[1]
      .replaceAll("_", "")
      .split("*")
      .reduce((product, factor) => product * Number(factor.trim()), 1);
    return Number.isFinite(value) ? value : null;
  };
  return {
    op_window: constant("OP_WINDOW"),
    max_log_bytes: constant("MAX_LOG_BYTES"),
    checkpoint_every: constant("CHECKPOINT_EVERY"),
  };
}

async function storageOf(target, sessionId) {
  const response = await fetch(`${target.api.base}/__bench/storage?session=${encodeURIComponent(sessionId)}`, {
    headers: target.api.headers,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET /__bench/storage: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** One editor typing and deleting "x" at the start of the text, closed loop; reconnects if the server refuses it. */
class Editor {
  constructor(room, recorder) {
    this.room = room;
    this.recorder = recorder;
    this.connections = 0;
    this.recoveries = 0;
    this.rateLimited = 0;
    /** Bytes of op JSON acked, and of the op in flight. */
    this.opBytes = 0;
    this.sentBytes = 0;
    this.base = null;
    this.firstRev = 0;
    this.client = null;
    this.until = 0;
    this.done = null;
    this.stalled = null;
    this.recovering = false;
  }

  async connect() {
    this.client?.close();
    const client = this.room.client(this.connections++, this.recorder);
    await client.connect();
    if (this.base === null) {
      this.base = client.text;
      this.firstRev = client.rev;
    }
    client.onError = (message) => this.refused(client, message);
    client.onIdle = () => {
      this.opBytes += this.sentBytes;
      this.sentBytes = 0;
      this.next();
    };
    this.client = client;
  }

  /** Ops applied since the first welcome: nobody else writes, so each revision is one of this editor's ops. */
  get acked() {
    return this.client.rev - this.firstRev;
  }

  /** The next op: the insert when the text is the song, the delete when it has the "x". */
  nextOp() {
    const text = this.client.text;
    if (text === this.base) return INSERT;
    if (text === `x${this.base}`) return DELETE;
    throw new Error(`the text is neither the song nor the song after an "x" (${text.length} characters)`);
  }

  /** Sends the next op, or ends the run once `until` ops are acked. */
  next() {
    const client = this.client;
    if (client.inflight || !this.done) return;
    if (this.acked >= this.until) {
      this.done.resolve();
      return;
    }
    let op;
    try {
      op = this.nextOp();
    } catch (error) {
      this.done.reject(error);
      return;
    }
    client.text = textType.apply(client.text, op);
    this.sentBytes = JSON.stringify(op).length;
    client.send(op, performance.now());
  }

  refused(client, message) {
    const inflight = client.inflight;
    if (message.code === "RATE_LIMITED" && inflight && message.seq === inflight.seq) {
      // Dropped unapplied by the per-connection limit: the same op again, with the same seq.
      this.rateLimited += 1;
      setTimeout(() => {
        if (client !== this.client || client.inflight !== inflight) return;
        client.socket.send(JSON.stringify({ type: "op", seq: inflight.seq, rev: client.rev, op: inflight.op }));
      }, RATE_LIMIT_RETRY_MS);
      return true;
    }
    if (inflight && message.seq === inflight.seq) this.stalled = `op refused: ${message.code}`;
    return false;
  }

  /** A refused op, a closed socket or an ack that never came: starts over from the text as the server has it. */
  async recover() {
    const client = this.client;
    const stuck = client.inflight !== null && performance.now() - client.inflight.sentAt > STALL_MS;
    if (this.recovering || !(this.stalled || client.closedUnexpectedly || stuck)) return;
    this.recovering = true;
    const why = this.stalled ?? (client.closedUnexpectedly ? "socket closed" : "no ack in time");
    if (stuck) this.recorder.error(`no ack for seq ${client.inflight.seq} in ${STALL_MS / 1000} s`);
    this.stalled = null;
    try {
      this.recoveries += 1;
      if (this.recoveries > MAX_RECOVERIES) throw new Error(`gave up after ${MAX_RECOVERIES} recoveries (${why})`);
      await this.connect();
      this.next();
    } catch (error) {
      this.done?.reject(error);
    } finally {
      this.recovering = false;
    }
  }

  /** Runs until `count` ops in all are acked. */
  run(count) {
    this.until = count;
    return new Promise((resolve, reject) => {
      const watch = setInterval(() => this.recover(), 250);
      const settle = (how) => (value) => {
        clearInterval(watch);
        this.done = null;
        how(value);
      };
      this.done = { resolve: settle(resolve), reject: settle(reject) };
      this.next();
    });
  }
}

/** The figures of one reading of the object's storage, after `ops` ops, at revision `rev`. */
function reading(storage, ops, rev) {
  const recording = storage.recordings.find((row) => row.status === "recording") ?? null;
  return {
    ops,
    rev,
    checkpoint_rev: storage.document?.rev ?? null,
    log_floor: storage.document?.log_floor ?? null,
    tables: storage.tables,
    total_rows: Object.values(storage.tables).reduce((sum, count) => sum + (count ?? 0), 0),
    ops_rows: storage.ops?.rows ?? null,
    database_bytes: storage.database_bytes,
    op_log_bytes: storage.ops?.op_bytes ?? null,
    text_bytes: storage.document?.content_bytes ?? null,
    recording_unwritten_ops: recording ? Math.max(0, rev - recording.ops_flushed_rev) : null,
    recording_chunks: recording?.chunks_count ?? null,
    activities_by_type: storage.activities_by_type ?? null,
    meta_keys: storage.meta_keys ?? null,
  };
}

/**
 * `marks`: op counts at which the storage is read (ascending). Returns, per mark, the ops acked, the rows of each
 * table, the database and op-log bytes, the rate and latency of the stretch before it and its errors; then one more
 * reading a checkpoint's worth of ops less one after the last mark, when the log holds the most it ever does.
 * `sourceRoot`: where the served src/ is, for the log window's constants.
 */
export async function storageGrowth(target, { marks = [10_000, 100_000], sourceRoot = ROOT } = {}) {
  const window = logWindow(sourceRoot);
  const recorder = new Recorder();
  const room = await target.room({ editors: 1, recorder, templateId: BAND_PRACTICE });
  const editor = new Editor(room, recorder);
  await editor.connect();
  const before = await storageOf(target, room.id);
  const results = [];
  let done = 0;
  let errorsBefore = 0;
  let rateLimitedBefore = 0;
  let recoveriesBefore = 0;
  for (const mark of marks) {
    const acksBefore = recorder.acks.length;
    const meter = new CpuMeter(target.pids());
    await editor.run(mark);
    const cpu = meter.stop();
    const ops = editor.acked;
    const storage = await storageOf(target, room.id);
    const stretch = ops - done;
    results.push({
      ...reading(storage, ops, editor.client.rev),
      stretch: {
        ops: stretch,
        seconds: round(cpu.wall_s, 1),
        ops_per_s: round(stretch / cpu.wall_s, 0),
        ack: summarize(recorder.acks.slice(acksBefore)),
        server_cpu_ms_per_op: stretch ? round((cpu.cpu_s[0] * 1000) / stretch, 3) : null,
        errors: recorder.errors - errorsBefore,
        rate_limited: editor.rateLimited - rateLimitedBefore,
        reconnects: editor.recoveries - recoveriesBefore,
      },
      baseline: {
        note: "computed, not measured: the log before the window kept one row per op for the session's life",
        ops_rows: ops,
        op_log_bytes: editor.opBytes,
      },
    });
    done = ops;
    errorsBefore = recorder.errors;
    rateLimitedBefore = editor.rateLimited;
    recoveriesBefore = editor.recoveries;
  }
  let beforeCheckpoint = null;
  if (window.checkpoint_every && window.checkpoint_every > 1) {
    // The marks are multiples of the checkpoint interval, so each reading follows a trim; the log is longest
    // just before the next checkpoint.
    const rev = editor.client.rev;
    const checkpoint = Math.ceil((rev + 1) / window.checkpoint_every) * window.checkpoint_every;
    await editor.run(editor.acked + (checkpoint - 1 - rev));
    beforeCheckpoint = reading(await storageOf(target, room.id), editor.acked, editor.client.rev);
  }
  editor.client.close();
  const first = results[0];
  const last = results[results.length - 1];
  const grew =
    first && last && first !== last
      ? Object.fromEntries(
          Object.entries(last.tables)
            .filter(([table, rows]) => rows !== null && rows > (first.tables[table] ?? 0))
            .map(([table, rows]) => [table, [first.tables[table] ?? 0, rows]]),
        )
      : {};
  return {
    template_id: BAND_PRACTICE,
    editors: 1,
    pattern: 'insert "x" at the start, then delete it ([{d:1}]), one op in flight',
    log_window: window,
    before: {
      tables: before.tables,
      database_bytes: before.database_bytes,
      recording: before.recordings.some((row) => row.status === "recording"),
    },
    marks: results,
    before_checkpoint: beforeCheckpoint,
    /** Tables with more rows at the last mark than at the first: table → [rows at the first, rows at the last]. */
    grew,
    errors: recorder.errors,
    error_samples: recorder.errorSamples,
    rate_limited: editor.rateLimited,
    messages_per_second_limit: COUNTED_WS_MESSAGES_PER_SECOND,
    reconnects: editor.recoveries,
  };
}
