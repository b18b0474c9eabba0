/**
 * Keeping unsent edits through a resync. When the server can no longer replay the revisions a client missed, it
 * sends its current text instead. The edits the server has not applied are moved onto that text: a character diff
 * from the server text the client knew to the new one stands in for the missed ops, and the edits are transformed
 * over it as they would be over a remote op. Positions count code points throughout.
 */
import { applyOp, type TextOp, transformPair } from "../domain/ot";
import { diffOp } from "../domain/text-diff";
import { OtClient, OtClientError } from "./ot-client";

/** What a client holds that the server has not acknowledged (OtClient has this shape). */
export interface UnsentEdits {
  /** The server's text the edits are based on. */
  readonly serverText: string;
  /** Sent, not acknowledged; based on `serverText`. */
  readonly inFlight: { readonly seq: number; readonly op: TextOp } | null;
  /** Made after the op in flight, oldest first; the first is based on `serverText` with the op in flight applied. */
  readonly buffer: readonly TextOp[];
}

export interface RebasedEdits {
  /** The op in flight has a seq the server has applied: its effect is in the new text and it is not in `edits`. */
  inFlightApplied: boolean;
  /** Each edit still to deliver, as it was and as it applies to the new text after the ones before it. */
  edits: { original: TextOp; rebased: TextOp }[];
  /** Turns the client's text (old server text and every unsent edit) into the new text with every rebased edit. */
  localChange: TextOp;
}

/**
 * Moves `unsent` onto `serverText`, the server's text now. `lastSeq` is the highest seq the server has applied from
 * this client: an op in flight at or below it is already part of `serverText`.
 */
export function rebaseUnsent(unsent: UnsentEdits, serverText: string, lastSeq: number): RebasedEdits {
  const { inFlight } = unsent;
  const inFlightApplied = inFlight !== null && inFlight.seq <= lastSeq;
  const base = inFlightApplied ? applyOp(unsent.serverText, inFlight.op) : unsent.serverText;
  const originals = inFlight === null || inFlightApplied ? [...unsent.buffer] : [inFlight.op, ...unsent.buffer];
  // The diff plays the part of a remote op sequenced before every unsent edit, so ties resolve as they would live.
  let missed = diffOp(base, serverText);
  const edits = originals.map((original) => {
    const pair = transformPair(original, missed);
    missed = pair.sequenced;
    return { original, rebased: pair.local };
  });
  return { inFlightApplied, edits, localChange: missed };
}

/**
 * A fresh OtClient on the server's `doc` with the unsent edits of `previous` applied as new local edits. They get
 * new seqs: the server may have applied any seq sent before, and would take a reused one for a resend. An edit the
 * server would refuse once moved (the document or the op grew past the limits) is lost with those after it, which
 * were built on it. `change` turns the previous local text into the new one.
 */
export function carryUnsentOnto(
  previous: OtClient,
  doc: { rev: number; content: string },
  lastSeq: number,
): { ot: OtClient; kept: TextOp[]; lost: TextOp[]; change: TextOp } {
  const { edits, localChange } = rebaseUnsent(previous, doc.content, lastSeq);
  const ot = new OtClient(doc.content, doc.rev, Math.max(previous.nextSeq, lastSeq + 1));
  const kept: TextOp[] = [];
  const lost: TextOp[] = [];
  for (const { original, rebased } of edits) {
    if (lost.length === 0 && applyIfAccepted(ot, rebased)) {
      if (rebased.length > 0) kept.push(rebased);
    } else {
      lost.push(original);
    }
  }
  return { ot, kept, lost, change: lost.length === 0 ? localChange : diffOp(previous.text, ot.text) };
}

/** Applies an edit to `ot` as a local one; false, changing nothing, when the server would refuse it. */
function applyIfAccepted(ot: OtClient, op: TextOp): boolean {
  try {
    ot.applyLocal(op);
    return true;
  } catch (error) {
    if (error instanceof OtClientError) return false;
    throw error;
  }
}
