/**
 * The client half of the realtime protocol's OT: keeps the local text, sends one op at a time and buffers the
 * rest until the server acknowledges it. No sockets here; the caller moves the messages.
 *
 * States: synchronized (nothing pending), awaiting ack (one op in flight), awaiting ack with a buffer (later
 * edits composed, split only where one composed op would exceed the server's per-op limits).
 *
 * Revisions must arrive in order. After a reconnect the server has to deliver the revisions this client missed
 * (its own op among them as an ack) before anything newer; a gap throws, and the caller starts over from the
 * server's text.
 */
import {
  applyOp,
  type Cursor,
  checkOpAgainst,
  checkOpLimits,
  composeOps,
  type OtErrorCode,
  parseOp,
  type TextOp,
  transformCursor,
  transformPair,
} from "../domain/ot";
import { MAX_FRAME_BYTES } from "../domain/protocol";

export type { Cursor, TextOp };
export { transformCursor };

/** The body of an `op` message to send. */
export interface OutgoingOp {
  seq: number;
  rev: number;
  op: TextOp;
}

export type OtClientState = "synchronized" | "awaiting-ack" | "awaiting-ack-with-buffer";

/** Room for the `type`, `seq` and `rev` around an op in its frame. */
const OP_FRAME_OVERHEAD = 80;

/** An op small enough for the server's frame limit; a bigger frame makes the server close the socket (1009). */
function fitsInFrame(op: TextOp): boolean {
  return new TextEncoder().encode(JSON.stringify(op)).length + OP_FRAME_OVERHEAD <= MAX_FRAME_BYTES;
}

export class OtClientError extends Error {
  constructor(
    readonly code: OtErrorCode | "REVISION_GAP" | "REVISION_BEHIND",
    message: string,
  ) {
    super(message);
    this.name = "OtClientError";
  }
}

export class OtClient {
  #text: string;
  /** The server's text at `rev`: `text` without the pending ops, what a resync diffs against. */
  #serverText: string;
  #rev: number;
  #nextSeq: number;
  #inFlight: { seq: number; op: TextOp } | null = null;
  #buffer: TextOp[] = [];

  /**
   * `text` and `rev` come from the server's welcome. A client that replaces an earlier one with the same client
   * id passes the earlier one's `nextSeq`, because the server drops a (client id, seq) it has already applied.
   */
  constructor(text: string, rev: number, nextSeq = 1) {
    this.#text = text;
    this.#serverText = text;
    this.#rev = rev;
    this.#nextSeq = nextSeq;
  }

  get text(): string {
    return this.#text;
  }

  /** The server's text at `rev`, without this client's pending ops. */
  get serverText(): string {
    return this.#serverText;
  }

  /** The last server revision this client has, ignoring its own pending ops. */
  get rev(): number {
    return this.#rev;
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Makes sure no later op reuses a seq up to `seq`: the server would take it for a resend. */
  skipSeqsThrough(seq: number): void {
    this.#nextSeq = Math.max(this.#nextSeq, seq + 1);
  }

  /** The op in flight, then the buffered ones. */
  get pending(): readonly TextOp[] {
    return this.#inFlight ? [this.#inFlight.op, ...this.#buffer] : [];
  }

  /** The op sent and not acknowledged yet, based on `serverText`. */
  get inFlight(): { readonly seq: number; readonly op: TextOp } | null {
    return this.#inFlight;
  }

  /** The edits made after the op in flight, based on `serverText` with it applied, oldest first. */
  get buffer(): readonly TextOp[] {
    return this.#buffer;
  }

  get state(): OtClientState {
    if (this.#inFlight === null) return "synchronized";
    return this.#buffer.length === 0 ? "awaiting-ack" : "awaiting-ack-with-buffer";
  }

  /**
   * Applies a local edit to the text. Returns the message to send now, or null when the edit was buffered or did
   * nothing. Throws an OtClientError, leaving everything unchanged, for an op the server would refuse.
   */
  applyLocal(op: TextOp): OutgoingOp | null {
    const parsed = parseOp(op);
    if (!parsed.ok) throw new OtClientError(parsed.code, parsed.message);
    if (!fitsInFrame(parsed.op)) {
      throw new OtClientError("OP_TOO_LARGE", `An op must fit in a ${MAX_FRAME_BYTES}-byte message`);
    }
    const problem = checkOpAgainst(this.#text, parsed.op);
    if (problem) throw new OtClientError(problem.code, problem.message);
    if (parsed.op.length === 0) return null;
    this.#text = applyOp(this.#text, parsed.op);
    if (this.#inFlight === null) return this.#send(parsed.op);
    const last = this.#buffer.at(-1);
    const composed = last ? composeOps(last, parsed.op) : null;
    if (composed === null || checkOpLimits(composed) || !fitsInFrame(composed)) {
      this.#buffer.push(parsed.op);
    } else if (composed.length === 0) {
      this.#buffer.pop();
    } else {
      this.#buffer[this.#buffer.length - 1] = composed;
    }
    return null;
  }

  /**
   * The server applied the op in flight as revision `rev`. Returns the next message to send, or null. An ack for
   * an op already acknowledged (a resent op the server had applied before, acked twice) is ignored: it names a
   * revision this client already has, or a seq that is not in flight.
   */
  applyServerAck(rev: number, seq?: number): OutgoingOp | null {
    const inFlight = this.#inFlight;
    if (inFlight === null || rev <= this.#rev || (seq !== undefined && seq !== inFlight.seq)) return null;
    this.#expectNext(rev);
    this.#rev = rev;
    // With nothing buffered the local text is the server's; otherwise the server's moved by this op only.
    this.#serverText = this.#buffer.length === 0 ? this.#text : applyOp(this.#serverText, inFlight.op);
    this.#inFlight = null;
    const next = this.#buffer.shift();
    return next ? this.#send(next) : null;
  }

  /**
   * Another client's op, sequenced by the server as revision `rev`. Transforms it over this client's pending ops
   * (and them over it), applies it to the text and returns it as applied, for the editor to apply too. Returns
   * null for a revision this client already has.
   */
  applyRemote(rev: number, op: TextOp): TextOp | null {
    if (rev <= this.#rev) return null;
    this.#expectNext(rev);
    let remote = op;
    if (this.#inFlight) {
      const pair = transformPair(this.#inFlight.op, remote);
      this.#inFlight = { seq: this.#inFlight.seq, op: pair.local };
      remote = pair.sequenced;
    }
    const buffer: TextOp[] = [];
    for (const buffered of this.#buffer) {
      const pair = transformPair(buffered, remote);
      remote = pair.sequenced;
      if (pair.local.length > 0) buffer.push(pair.local);
    }
    this.#text = applyOp(this.#text, remote);
    this.#serverText = this.#inFlight ? applyOp(this.#serverText, op) : this.#text;
    this.#buffer = buffer;
    this.#rev = rev;
    return remote;
  }

  /**
   * After a reconnect: the op in flight to send again, with the same seq so the server applies it at most once,
   * based on this client's revision. `serverRev` is the revision in the welcome; when it is ahead, the revisions
   * in between still have to arrive through applyRemote and applyServerAck.
   */
  resendOnReconnect(serverRev?: number): OutgoingOp | null {
    if (serverRev !== undefined && serverRev < this.#rev) {
      throw new OtClientError("REVISION_BEHIND", `The server is at revision ${serverRev}, this client at ${this.#rev}`);
    }
    return this.#inFlight ? { seq: this.#inFlight.seq, rev: this.#rev, op: this.#inFlight.op } : null;
  }

  /** Maps a remote cursor, as the server reports it at this client's revision, onto the local text. */
  transformCursor(cursor: Cursor | null): Cursor | null {
    return this.pending.reduce((moved, op) => transformCursor(moved, op, false), cursor);
  }

  #send(op: TextOp): OutgoingOp {
    const seq = this.#nextSeq++;
    this.#inFlight = { seq, op };
    return { seq, rev: this.#rev, op };
  }

  #expectNext(rev: number): void {
    if (rev !== this.#rev + 1) {
      throw new OtClientError("REVISION_GAP", `Expected revision ${this.#rev + 1}, got ${rev}`);
    }
  }
}
