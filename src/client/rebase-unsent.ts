/**
 * Keeping unsent edits through a resync. When the server can no longer replay the revisions a client missed, it
 * sends its current text instead. The edits the server has not applied are moved onto that text: a character diff
 * from the server text the client knew to the new one stands in for the missed ops, and the edits are transformed
 * over it as they would be over a remote op. Positions count code points throughout.
 */
// The two diffs by their own modules: the package's index would bring every other diff into the browser bundle.
import { diffChars } from "diff/lib/diff/character.js";
import { diffLines } from "diff/lib/diff/line.js";
import { type as textType } from "ot-text-unicode";
import { applyOp, codePointLength, type TextOp, transformPair } from "../domain/ot";
import { OtClient, OtClientError } from "./ot-client";

/** Time for one diffOp: past it, what is left to diff counts as replaced whole. A resync must not freeze a tab. */
const DIFF_BUDGET_MS = 200;
/**
 * Lines, and characters within a changed stretch of lines, one diff may change before it gives up: bounds the work
 * where the clock does not move.
 */
const MAX_CHANGED = { lines: 5_000, characters: 1_000 };

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

/**
 * An op turning `before` into `after` that keeps every character the two share in order, so that an edit
 * transformed over it stays beside the text it was made next to. Past the shared start and end, lines are matched
 * first and the characters of each changed stretch of lines next, which keeps the work small on long sheets.
 * Deletes name their text.
 */
export function diffOp(before: string, after: string): TextOp {
  if (before === after) return [];
  const deadline = Date.now() + DIFF_BUDGET_MS;
  const limits = (maxEditLength: number) => ({ timeout: Math.max(0, deadline - Date.now()), maxEditLength });
  const { prefix, removed, added } = trimSharedEnds(before, after);
  const op: TextOp = prefix > 0 ? [prefix] : [];
  const lines = (removed && added ? diffLines(removed, added, limits(MAX_CHANGED.lines)) : undefined) ?? [
    { removed: true, added: false, value: removed },
    { removed: false, added: true, value: added },
  ];
  let removedLines = "";
  let addedLines = "";
  const flush = () => {
    op.push(...characterOps(removedLines, addedLines, limits(MAX_CHANGED.characters)));
    removedLines = "";
    addedLines = "";
  };
  for (const change of lines) {
    if (change.removed) removedLines += change.value;
    else if (change.added) addedLines += change.value;
    else {
      flush();
      op.push(codePointLength(change.value));
    }
  }
  flush();
  // Merges neighbours of one kind and drops a trailing skip.
  return textType.normalize(op);
}

/** The length in code points of the start two texts share, and what differs between it and the shared end. */
function trimSharedEnds(before: string, after: string): { prefix: number; removed: string; added: string } {
  const from = Array.from(before);
  const to = Array.from(after);
  let prefix = 0;
  while (prefix < from.length && prefix < to.length && from[prefix] === to[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < from.length - prefix &&
    suffix < to.length - prefix &&
    from[from.length - 1 - suffix] === to[to.length - 1 - suffix]
  ) {
    suffix++;
  }
  return {
    prefix,
    removed: from.slice(prefix, from.length - suffix).join(""),
    added: to.slice(prefix, to.length - suffix).join(""),
  };
}

/** The character diff of one changed stretch; replaced whole when the diff gives up. */
function characterOps(removed: string, added: string, limits: { timeout: number; maxEditLength: number }): TextOp {
  const changes = removed && added ? diffChars(removed, added, limits) : undefined;
  if (changes === undefined) return [...(removed ? [{ d: removed }] : []), ...(added ? [added] : [])];
  // jsdiff's character tokens are code points, so `count` is a length in code points.
  return changes.map((change) => (change.added ? change.value : change.removed ? { d: change.value } : change.count));
}
