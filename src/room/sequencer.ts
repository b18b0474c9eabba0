/**
 * The sequencer of a session's text: the one place that orders ops. It keeps the text (a checkpoint plus the ops
 * after it), a window of the latest ops for rebasing and catching up, and what it needs to recognise a resent op
 * after its row is gone. Owns the `document`, `ops`, `client_seqs` and `edit_counts` tables.
 *
 * An op's identity is (user, client_id, seq). A client's seqs only grow, so a seq at or below the highest one
 * applied from that client is a resend: it gets the ack of the op it repeats, or, when that op is no longer in the
 * log, a RESYNC_REQUIRED; it is never applied again.
 */
import { applyChecked, applyOp, type MeasuredText, measure, parseOp, rebase, type TextOp } from "../domain/ot";
import type { MissedOp } from "../domain/protocol";
import { utf8Length } from "../domain/text";
import { refuse } from "./result";

/** Ops kept behind the current revision: an op based on an older revision must start over from the text. */
export const OP_WINDOW = 1_000;
/** At most this much op JSON is kept in the log beyond what a recording still has to write. */
export const MAX_LOG_BYTES = 4 * 1024 * 1024;
/** The text is written to the document row every this many ops; the log is trimmed at the same time. */
export const CHECKPOINT_EVERY = 100;
/**
 * The most transform work one op may cost: the components of the ops it is rebased over plus its own, once per
 * op it crosses. An op over the budget is refused with RESYNC_REQUIRED instead of stalling the session.
 */
export const MAX_REBASE_WORK = 250_000;
/**
 * A reconnect's catch-up carries at most this much op JSON (UTF-8); beyond it the client starts from the text. With
 * the text (at most 400 KB) and the comments (64 KiB), a welcome stays under the 1 MiB a Worker may receive.
 */
export const MAX_MISSED_BYTES = 512 * 1024;
/** How many of the latest ops stay parsed in memory. */
const RECENT_OPS_KEPT = 512;
/**
 * Clients whose highest seq is remembered after their ops left the log: per user, so no one can push another
 * user's clients out, and in all.
 */
const CLIENT_SEQS_KEPT_PER_USER = 100;
const CLIENT_SEQS_KEPT = 10_000;

export interface LoggedOp {
  rev: number;
  op: TextOp;
  user_id: string;
  client_id: string;
  seq: number;
}

export interface OpSubmission {
  userId: string;
  clientId: string;
  seq: number;
  baseRev: number;
  op: unknown;
}

export type SubmitResult =
  | { kind: "applied"; rev: number; op: TextOp }
  /** A resend of an op already in the text: acknowledge it again with the revision it got. */
  | { kind: "duplicate"; rev: number };

export type CatchUp = { missed: MissedOp[] } | { resync: true };

interface SequencerStorage {
  sql: SqlStorage;
  transactionSync<T>(body: () => T): T;
}

export class Sequencer {
  private live: ({ rev: number } & MeasuredText) | null = null;
  /** The ops after revision `from`, parsed, so that a rebase or a catch-up rarely reads the log. */
  private recent: { from: number; ops: LoggedOp[] } | null = null;
  /** The highest seq applied per user and client; loaded on first use. */
  private latestSeqs: Map<string, number> | null = null;
  /** Applied ops per user, over the whole session; loaded on first use. */
  private edits: Map<string, number> | null = null;
  /** The revision after which every op is still in the log; read on first use. */
  private floor: number | null = null;

  constructor(
    private readonly storage: SequencerStorage,
    private readonly now: () => string,
  ) {}

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  /** Starts a session's text. */
  create(content: string): void {
    this.sql.exec(
      "INSERT INTO document (id, rev, content, saved_rev, saved_at, base_content) VALUES (1, 0, ?, 0, ?, ?)",
      content,
      this.now(),
      content,
    );
    this.forget();
  }

  /** Drops what is kept in memory (after the storage was emptied, or a transaction rolled back). */
  forget(): void {
    this.live = null;
    this.recent = null;
    this.latestSeqs = null;
    this.edits = null;
    this.floor = null;
  }

  /** The text as it stands: the checkpoint plus every op after it. */
  document(): { rev: number } & MeasuredText {
    if (!this.live) {
      const checkpoint = this.sql
        .exec<{ rev: number; content: string }>("SELECT rev, content FROM document WHERE id = 1")
        .one();
      let content = checkpoint.content;
      let rev = checkpoint.rev;
      for (const row of this.sql.exec<{ rev: number; op: string }>(
        "SELECT rev, op FROM ops WHERE rev > ? ORDER BY rev",
        rev,
      )) {
        content = applyOp(content, JSON.parse(row.op) as TextOp);
        rev = row.rev;
      }
      this.live = { rev, ...measure(content) };
    }
    return this.live;
  }

  /**
   * The text at revision `rev`, rebuilt from the checkpoint and the log; null when the checkpoint is past it (the
   * log only goes forward from a checkpoint).
   */
  textAt(rev: number): string | null {
    const checkpoint = this.sql
      .exec<{ rev: number; content: string }>("SELECT rev, content FROM document WHERE id = 1")
      .one();
    if (rev < checkpoint.rev || rev > this.document().rev) return null;
    let content = checkpoint.content;
    for (const row of this.sql.exec<{ op: string }>(
      "SELECT op FROM ops WHERE rev > ? AND rev <= ? ORDER BY rev",
      checkpoint.rev,
      rev,
    )) {
      content = applyOp(content, JSON.parse(row.op) as TextOp);
    }
    return content;
  }

  /** The revision after which every op is still in the log. */
  logFloor(): number {
    this.floor ??= this.sql.exec<{ log_floor: number }>("SELECT log_floor FROM document WHERE id = 1").one().log_floor;
    return this.floor;
  }

  /**
   * Orders one op: recognises a resend, rebases a new op over the ops its author had not seen, checks and applies
   * it and stores it. `keepFromRev` is the lowest revision a recording still has to read from the log.
   * Refusals throw (see `refuse`) and change nothing.
   */
  submit(submission: OpSubmission, keepFromRev: () => number): SubmitResult {
    const document = this.document();
    const { baseRev, seq } = submission;
    if (baseRev > document.rev) {
      refuse(400, "INVALID_OP", `Revision ${baseRev} does not exist yet (current ${document.rev})`);
    }
    if (seq <= this.lastSeq(submission.userId, submission.clientId)) {
      const rev = this.appliedRev(submission.userId, submission.clientId, seq);
      if (rev !== null) return { kind: "duplicate", rev };
      refuse(409, "RESYNC_REQUIRED", `Seq ${seq} was used before; start over from the current text`);
    }
    if (document.rev - baseRev > OP_WINDOW || baseRev < this.logFloor()) {
      refuse(409, "RESYNC_REQUIRED", "Your copy is too old; start over from the current text");
    }
    const parsed = parseOp(submission.op);
    if (!parsed.ok) refuse(400, parsed.code, parsed.message);
    const concurrent = this.opsSince(baseRev);
    if (concurrent.length !== document.rev - baseRev) {
      refuse(409, "RESYNC_REQUIRED", "Your copy is too old; start over from the current text");
    }
    let work = 0;
    for (const logged of concurrent) work += logged.op.length + parsed.op.length;
    if (work > MAX_REBASE_WORK) {
      refuse(409, "RESYNC_REQUIRED", "Your copy is too far behind to merge this edit; start over from the text");
    }
    const op = rebase(
      parsed.op,
      concurrent.map((logged) => logged.op),
    );
    const result = applyChecked(document, op);
    if (!result.ok) refuse(400, result.code, result.message);
    const rev = document.rev + 1;
    const logged: LoggedOp = { rev, op, user_id: submission.userId, client_id: submission.clientId, seq };
    // One insert is atomic by itself; a checkpoint and a trim must land together with it.
    if (rev % CHECKPOINT_EVERY === 0) {
      try {
        this.storage.transactionSync(() => {
          this.insert(logged);
          this.sql.exec("UPDATE document SET rev = ?, content = ? WHERE id = 1", rev, result.text.content);
          this.trim(rev, keepFromRev());
        });
      } catch (error) {
        // Rolled back: what the trim noted in memory no longer holds.
        this.forget();
        throw error;
      }
    } else {
      this.insert(logged);
    }
    this.live = { rev, ...result.text };
    this.remember(logged);
    return { kind: "applied", rev, op };
  }

  private insert(logged: LoggedOp): void {
    this.sql.exec(
      "INSERT INTO ops (rev, client_id, seq, user_id, op, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      logged.rev,
      logged.client_id,
      logged.seq,
      logged.user_id,
      JSON.stringify(logged.op),
      this.now(),
    );
  }

  /**
   * Drops the ops no one needs any more: those more than OP_WINDOW behind, and the oldest beyond MAX_LOG_BYTES,
   * but never one a recording has still to write, nor one after the checkpoint at `rev`. What a resend check and
   * the edit counts need from them is kept in `client_seqs` and `edit_counts` first.
   */
  private trim(rev: number, keepFromRev: number): void {
    const bytesFloor =
      this.sql
        .exec<{ rev: number }>(
          `SELECT rev FROM (SELECT rev, sum(length(op)) OVER (ORDER BY rev DESC) AS tail FROM ops)
           WHERE tail > ? ORDER BY rev DESC LIMIT 1`,
          MAX_LOG_BYTES,
        )
        .toArray()[0]?.rev ?? 0;
    const floor = Math.min(Math.max(rev - OP_WINDOW, bytesFloor), keepFromRev, rev);
    if (floor <= this.logFloor()) return;
    this.sql.exec(
      `INSERT INTO client_seqs (user_id, client_id, seq, rev)
         SELECT user_id, client_id, max(seq), max(rev) FROM ops WHERE rev <= ? GROUP BY user_id, client_id
       ON CONFLICT (user_id, client_id) DO UPDATE SET seq = max(seq, excluded.seq), rev = max(rev, excluded.rev)`,
      floor,
    );
    this.sql.exec(
      `DELETE FROM client_seqs WHERE rev < (
         SELECT kept.rev FROM client_seqs AS kept WHERE kept.user_id = client_seqs.user_id
         ORDER BY kept.rev DESC LIMIT 1 OFFSET ?
       )`,
      CLIENT_SEQS_KEPT_PER_USER,
    );
    this.sql.exec(
      `DELETE FROM client_seqs WHERE rev < (SELECT rev FROM client_seqs ORDER BY rev DESC LIMIT 1 OFFSET ?)`,
      CLIENT_SEQS_KEPT,
    );
    this.sql.exec(
      `INSERT INTO edit_counts (user_id, edits)
         SELECT user_id, count(*) FROM ops WHERE rev <= ? GROUP BY user_id
       ON CONFLICT (user_id) DO UPDATE SET edits = edits + excluded.edits`,
      floor,
    );
    this.sql.exec("DELETE FROM ops WHERE rev <= ?", floor);
    this.sql.exec("UPDATE document SET log_floor = ? WHERE id = 1", floor);
    this.floor = floor;
  }

  private remember(logged: LoggedOp): void {
    const key = clientKey(logged.user_id, logged.client_id);
    const seqs = this.loadLatestSeqs();
    seqs.set(key, Math.max(seqs.get(key) ?? 0, logged.seq));
    if (this.edits) this.edits.set(logged.user_id, (this.edits.get(logged.user_id) ?? 0) + 1);
    const recent = this.recent;
    if (!recent || recent.from + recent.ops.length !== logged.rev - 1) {
      this.recent = { from: logged.rev - 1, ops: [logged] };
      return;
    }
    recent.ops.push(logged);
    if (recent.ops.length > RECENT_OPS_KEPT) {
      const dropped = recent.ops.length - RECENT_OPS_KEPT / 2;
      recent.ops.splice(0, dropped);
      recent.from += dropped;
    }
  }

  /** The revision an op got when (user, client, seq) was applied and is still in the log; null otherwise. */
  resendOf(userId: string, clientId: string, seq: number): number | null {
    return seq <= this.lastSeq(userId, clientId) ? this.appliedRev(userId, clientId, seq) : null;
  }

  /** The highest seq applied from this user's client, 0 for none. */
  lastSeq(userId: string, clientId: string): number {
    return this.loadLatestSeqs().get(clientKey(userId, clientId)) ?? 0;
  }

  private loadLatestSeqs(): Map<string, number> {
    if (!this.latestSeqs) {
      const seqs = new Map<string, number>();
      const rows = this.sql.exec<{ user_id: string; client_id: string; seq: number }>(
        `SELECT user_id, client_id, max(seq) AS seq FROM (
           SELECT user_id, client_id, seq FROM client_seqs
           UNION ALL SELECT user_id, client_id, seq FROM ops
         ) GROUP BY user_id, client_id`,
      );
      for (const row of rows) seqs.set(clientKey(row.user_id, row.client_id), row.seq);
      this.latestSeqs = seqs;
    }
    return this.latestSeqs;
  }

  /** The revision an op got, when it is still in the log. */
  private appliedRev(userId: string, clientId: string, seq: number): number | null {
    const inMemory = this.recent?.ops.find(
      (logged) => logged.seq === seq && logged.client_id === clientId && logged.user_id === userId,
    );
    if (inMemory) return inMemory.rev;
    return (
      this.sql
        .exec<{ rev: number }>(
          "SELECT rev FROM ops WHERE client_id = ? AND seq = ? AND user_id = ? LIMIT 1",
          clientId,
          seq,
          userId,
        )
        .toArray()[0]?.rev ?? null
    );
  }

  /** The ops stored after revision `rev`, oldest first: from memory when they are recent, else from the log. */
  opsSince(rev: number): LoggedOp[] {
    const recent = this.recent;
    if (recent && rev >= recent.from) return recent.ops.slice(rev - recent.from);
    return this.sql
      .exec<{ rev: number; op: string; user_id: string; client_id: string; seq: number }>(
        "SELECT rev, op, user_id, client_id, seq FROM ops WHERE rev > ? ORDER BY rev",
        rev,
      )
      .toArray()
      .map((row) => ({ ...row, op: JSON.parse(row.op) as TextOp }));
  }

  /**
   * What a client that has revision `sinceRev` missed: the ops after it, or a resync when they are gone, more than
   * a window's worth, or too much to send.
   */
  catchUp(sinceRev: number): CatchUp {
    const rev = this.document().rev;
    if (sinceRev > rev || rev - sinceRev > OP_WINDOW || sinceRev < this.logFloor()) return { resync: true };
    const rows = this.opsSince(sinceRev);
    if (rows.length !== rev - sinceRev) return { resync: true };
    let bytes = 0;
    const missed: MissedOp[] = [];
    for (const row of rows) {
      bytes += utf8Length(JSON.stringify(row.op));
      if (bytes > MAX_MISSED_BYTES) return { resync: true };
      missed.push({ rev: row.rev, op: row.op, user_id: row.user_id, client_id: row.client_id, seq: row.seq });
    }
    return { missed };
  }

  /** Ops applied per user over the whole session (also those no longer in the log). */
  editCounts(): ReadonlyMap<string, number> {
    if (!this.edits) {
      const edits = new Map<string, number>();
      const rows = this.sql.exec<{ user_id: string; edits: number }>(
        `SELECT user_id, sum(edits) AS edits FROM (
           SELECT user_id, edits FROM edit_counts
           UNION ALL SELECT user_id, count(*) AS edits FROM ops GROUP BY user_id
         ) GROUP BY user_id`,
      );
      for (const row of rows) edits.set(row.user_id, row.edits);
      this.edits = edits;
    }
    return this.edits;
  }
  /** The stored ops in (afterRev, throughRev], oldest first, at most `limit` (all when -1), as stored. */
  storedOps(
    afterRev: number,
    throughRev: number,
    limit = -1,
  ): { rev: number; client_id: string; seq: number; user_id: string; op: string; created_at: string }[] {
    return this.sql
      .exec<{ rev: number; client_id: string; seq: number; user_id: string; op: string; created_at: string }>(
        "SELECT rev, client_id, seq, user_id, op, created_at FROM ops WHERE rev > ? AND rev <= ? ORDER BY rev LIMIT ?",
        afterRev,
        throughRev,
        limit,
      )
      .toArray();
  }

  /** Ops stored in (fromRev, toRev] per author, most first. */
  editorsBetween(fromRev: number, toRev: number): { user_id: string; edits: number }[] {
    return this.sql
      .exec<{ user_id: string; edits: number }>(
        "SELECT user_id, count(*) AS edits FROM ops WHERE rev > ? AND rev <= ? GROUP BY user_id ORDER BY edits DESC",
        fromRev,
        toRev,
      )
      .toArray();
  }

  /** Authors of the ops stored since `since` (an ISO time). */
  editorsSince(since: string): string[] {
    return this.sql
      .exec<{ user_id: string }>("SELECT DISTINCT user_id FROM ops WHERE created_at >= ?", since)
      .toArray()
      .map((row) => row.user_id);
  }

  /** How many stored ops are from `since` (an ISO time) on. */
  editsSince(since: string): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM ops WHERE created_at >= ?", since).one().n;
  }
}

function clientKey(userId: string, clientId: string): string {
  return `${userId}\u0000${clientId}`;
}
