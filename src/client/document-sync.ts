// The local text kept in step with the server's: ops in flight, acks, remote ops, catch-up, resync, remote cursors.
/**
 * An OtClient holds the text, the op in flight and the edits buffered behind it; this class feeds it what the
 * server says and keeps the other users' cursors on the local text.
 *
 * Reconnects: once the client holds a document, each attempt asks for `since_rev`, the last server revision it
 * has. The welcome's `missed` ops are replayed oldest first (this client's own ops come back as acks), then the op
 * still in flight is sent again with its seq; the server applies a (client_id, seq) at most once. Where that cannot
 * work (the server answers `resync` or RESYNC_REQUIRED, or the revisions do not line up) the client starts over
 * from a fresh welcome and moves its unsent edits onto the server's text (rebase-unsent.ts), sending them again with
 * new seqs (`resynced`). Only when the server refused the op in flight (the later edits were built on it) does it
 * drop them, reporting them as `lost_edits`.
 */
import { parseOp } from "../domain/ot";
import type { MissedOp, PresenceState, ServerMessage } from "../domain/protocol";
import { diffOp } from "../domain/text-diff";
import { OtClient, OtClientError, type OutgoingOp, type TextOp, transformCursor } from "./ot-client";
import type { Emit } from "./realtime-types";
import { carryUnsentOnto } from "./rebase-unsent";

type Welcome = Extract<ServerMessage, { type: "welcome" }>;

export class DocumentSync {
  readonly #clientId: string;
  readonly #emit: Emit;
  readonly #beforeRemoteChange: (op: TextOp) => void;
  #ot: OtClient | null = null;
  /** The revision this attempt asked to resume from; null asks for a fresh start. */
  #sinceRev: number | null = null;
  /**
   * Set when the next welcome must replace the local document. `keepUnsent`: the unsent edits still stand on the
   * server text this client knew, so they can be moved onto the new one; false once the server refused one of them.
   */
  #startOver: { reason: string; keepUnsent: boolean } | null = null;
  #presence = new Map<string, PresenceState>();

  /** `beforeRemoteChange` hears of each change to the local text that is not a local edit, before it is announced. */
  constructor(clientId: string, emit: Emit, beforeRemoteChange: (op: TextOp) => void) {
    this.#clientId = clientId;
    this.#emit = emit;
    this.#beforeRemoteChange = beforeRemoteChange;
  }

  /** A welcome has given this client a document. */
  get started(): boolean {
    return this.#ot !== null;
  }

  get text(): string {
    return this.#ot?.text ?? "";
  }

  /** The last server revision this client has. */
  get rev(): number {
    return this.#ot?.rev ?? 0;
  }

  /** True when every local edit has been acknowledged by the server. */
  get synchronized(): boolean {
    return this.#ot === null || this.#ot.state === "synchronized";
  }

  /** How many local edits the server has not acknowledged yet: the op in flight and those buffered behind it. */
  get pendingCount(): number {
    return this.#ot?.pending.length ?? 0;
  }

  /** The seq of the op sent and not acknowledged yet. */
  get inFlightSeq(): number | undefined {
    return this.#ot?.inFlight?.seq;
  }

  get presence(): ReadonlyMap<string, PresenceState> {
    return this.#presence;
  }

  /** The revision the next connection resumes from (its `since_rev`), or null to start from a fresh welcome. */
  resumeFrom(): number | null {
    this.#sinceRev = this.#ot !== null && this.#startOver === null ? this.#ot.rev : null;
    return this.#sinceRev;
  }

  /** The next welcome replaces the local document; the first reason is reported, and one refusal drops the edits. */
  planStartOver(reason: string, keepUnsent: boolean): void {
    this.#startOver = {
      reason: this.#startOver?.reason ?? reason,
      keepUnsent: (this.#startOver?.keepUnsent ?? true) && keepUnsent,
    };
  }

  /** Takes in a welcome's document: catches up from `missed`, or starts over from `doc`. */
  welcome(welcome: Welcome): void {
    const ot = this.#ot;
    const resumed = ot !== null && this.#sinceRev !== null && welcome.resync !== true && this.#catchUp(ot, welcome);
    if (!resumed) {
      const plan = this.#startOver ?? { reason: welcome.resync ? "RESYNC" : "REVISION_MISMATCH", keepUnsent: true };
      // Without last_seq (an older server) the op in flight may already be in the text: keeping it could double it.
      if (ot && plan.keepUnsent && typeof welcome.you.last_seq === "number") {
        this.#rebaseOnto(ot, welcome.doc, welcome.you.last_seq, plan.reason);
      } else {
        this.#startFrom(welcome.doc, plan.reason);
      }
    }
    this.#startOver = null;
    // A client id the server knows (kept across a reload, say) goes on after the seqs it has already applied.
    this.#ot?.skipSeqsThrough(welcome.you.last_seq ?? 0);
  }

  /**
   * The op in flight to send again after a welcome (same seq: the server applies it only if it has not already) or
   * after a message dropped for flooding. `serverRev` is the welcome's revision.
   */
  resendInFlight(serverRev?: number): OutgoingOp | null {
    return this.#ot?.resendOnReconnect(serverRev) ?? null;
  }

  /** The server applied the op in flight; returns the next one to send. */
  applyAck(rev: number, seq: number): OutgoingOp | null {
    return this.#ot?.applyServerAck(rev, seq) ?? null;
  }

  /**
   * Applies a local edit already checked for permission; returns the op to send now, if any. Throws an
   * OtClientError, changing nothing, for an op the server would refuse.
   */
  applyLocal(op: TextOp): OutgoingOp | null {
    const ot = this.#ot;
    if (!ot) return null;
    const parsed = parseOp(op);
    if (!parsed.ok) throw new OtClientError(parsed.code, parsed.message);
    if (parsed.op.length === 0) return null;
    const outgoing = ot.applyLocal(parsed.op);
    let moved = false;
    for (const [user, state] of this.#presence) {
      if (state.cursor === null) continue;
      this.#presence.set(user, { ...state, cursor: transformCursor(state.cursor, parsed.op, false) });
      moved = true;
    }
    this.#emit("text", { text: ot.text, op: parsed.op, origin: "local" });
    if (moved) this.announcePresence();
    return outgoing;
  }

  /** Another user's op, sequenced by the server as revision `rev`. */
  applyRemote(rev: number, raw: unknown, userId: string): void {
    const ot = this.#ot;
    if (!ot) return;
    const parsed = parseOp(raw);
    if (!parsed.ok) throw new OtClientError(parsed.code, `Revision ${rev} from the server: ${parsed.message}`);
    const applied = ot.applyRemote(rev, parsed.op);
    if (applied === null || applied.length === 0) return;
    let moved = false;
    for (const [user, state] of this.#presence) {
      if (state.cursor === null) continue;
      // The author's caret follows their own typing; everyone else's stays put.
      this.#presence.set(user, { ...state, cursor: transformCursor(state.cursor, applied, user === userId) });
      moved = true;
    }
    this.#beforeRemoteChange(applied);
    this.#emit("text", { text: ot.text, op: applied, origin: "remote" });
    if (moved) this.announcePresence();
  }

  /** Replaces every remote presence with a welcome's; `ownUserId`'s own is left out. */
  resetPresence(states: readonly PresenceState[], ownUserId: string): void {
    this.#presence = new Map();
    for (const state of states) this.#storePresence(state, ownUserId);
  }

  /** A presence update from the server; this user's own is ignored. */
  applyPresence(state: PresenceState, ownUserId: string | undefined): void {
    if (state.user_id === ownUserId) return;
    this.#storePresence(state, ownUserId);
    this.announcePresence();
  }

  removePresence(userId: string): void {
    if (this.#presence.delete(userId)) this.announcePresence();
  }

  announcePresence(): void {
    this.#emit("presence", new Map(this.#presence));
  }

  /** Stores a remote presence; the server's cursor is on its latest text, this client's may have pending edits. */
  #storePresence(state: PresenceState, ownUserId: string | undefined): void {
    if (state.user_id === ownUserId) return;
    const cursor = this.#ot ? this.#ot.transformCursor(state.cursor) : state.cursor;
    this.#presence.set(state.user_id, {
      user_id: state.user_id,
      cursor,
      status: state.status,
      online: state.online,
      ...(state.lead ? { lead: state.lead } : {}),
    });
  }

  /** Replays the ops missed since `since_rev`; false when the result does not line up with the server's. */
  #catchUp(ot: OtClient, welcome: Welcome): boolean {
    if (welcome.missed === undefined && welcome.doc.rev !== ot.rev) return false;
    try {
      for (const missed of welcome.missed ?? []) this.#applyMissed(ot, missed, welcome.you.user_id);
      return ot.rev === welcome.doc.rev;
    } catch (error) {
      if (error instanceof OtClientError) return false;
      throw error;
    }
  }

  #applyMissed(ot: OtClient, missed: MissedOp, userId: string): void {
    // An op is known by (user, client_id, seq): another user's op with this client id is someone else's edit.
    if (missed.client_id === this.#clientId && missed.user_id === userId) {
      // Its own op: the ack that was lost. The next op it releases is sent after the replay, by the resend.
      ot.applyServerAck(missed.rev, missed.seq);
      if (ot.rev === missed.rev) return;
    }
    this.applyRemote(missed.rev, missed.op, missed.user_id);
  }

  /** Replaces the local document with the server's, reporting the pending edits that go with it. */
  #startFrom(doc: { rev: number; content: string }, reason: string): void {
    const previous = this.#ot;
    const before = previous?.text ?? "";
    const lost = previous ? [...previous.pending] : [];
    // Same client id, so seqs keep counting: the server would drop a (client_id, seq) it has seen as a duplicate.
    this.#ot = new OtClient(doc.content, doc.rev, previous?.nextSeq ?? 1);
    if (lost.length > 0) this.#emit("lost_edits", { ops: lost, text: before, reason });
    this.#announceReplacedText(diffOp(before, doc.content));
  }

  /** Replaces the local document with the server's, keeping the unsent edits of `previous` on top of it. */
  #rebaseOnto(previous: OtClient, doc: { rev: number; content: string }, lastSeq: number, reason: string): void {
    const { ot, kept, lost, change } = carryUnsentOnto(previous, doc, lastSeq);
    this.#ot = ot;
    if (lost.length > 0) this.#emit("lost_edits", { ops: lost, text: previous.text, reason });
    this.#announceReplacedText(change);
    this.#emit("resynced", { reason, kept, text: ot.text });
  }

  /** The local text was replaced by a start over; `op` turns the previous one into the current one. */
  #announceReplacedText(op: TextOp): void {
    if (op.length === 0 || !this.#ot) return;
    this.#beforeRemoteChange(op);
    this.#emit("text", { text: this.#ot.text, op, origin: "remote" });
  }
}
