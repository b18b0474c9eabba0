/**
 * An `ot-text-unicode` op that turns one text into another, keeping every character the two share in order, so that
 * an edit transformed over it stays beside the text it was made next to. Lines are matched first and then the code
 * points of each changed stretch of lines, which keeps the work small on long sheets; both steps are bounded, and
 * past a bound a stretch counts as replaced whole. Used where a text arrives without the ops that made it: the
 * client moving its unsent edits onto a newer text, and the session taking in what a merge with the song added.
 */
import { type as textType } from "ot-text-unicode";
import { diffLines } from "./line-diff";
import type { TextOp } from "./ot";

/** Code point comparisons one changed stretch may take (the line step has its own bound). */
const CHARACTER_BUDGET = 1_000_000;

export function diffOp(before: string, after: string): TextOp {
  if (before === after) return [];
  // Lines with their line breaks, so that joined they are the texts again.
  const from = before.split(/(?<=\n)/);
  const to = after.split(/(?<=\n)/);
  const hunks = diffLines(from, to) ?? [
    { beforeStart: 0, beforeLength: from.length, afterStart: 0, afterLength: to.length },
  ];
  const op: TextOp = [];
  let line = 0;
  for (const hunk of hunks) {
    op.push(codePoints(from.slice(line, hunk.beforeStart)).length);
    op.push(
      ...characterOps(
        codePoints(from.slice(hunk.beforeStart, hunk.beforeStart + hunk.beforeLength)),
        codePoints(to.slice(hunk.afterStart, hunk.afterStart + hunk.afterLength)),
      ),
    );
    line = hunk.beforeStart + hunk.beforeLength;
  }
  // Merges neighbours of one kind, drops empty skips and a trailing skip.
  return textType.normalize(op.filter((component) => component !== 0));
}

function codePoints(lines: readonly string[]): string[] {
  return Array.from(lines.join(""));
}

/** The code-point diff of one changed stretch; deletes name their text. */
function characterOps(removed: string[], added: string[]): TextOp {
  const hunks = diffLines(removed, added, CHARACTER_BUDGET) ?? [
    { beforeStart: 0, beforeLength: removed.length, afterStart: 0, afterLength: added.length },
  ];
  const op: TextOp = [];
  let at = 0;
  for (const hunk of hunks) {
    op.push(hunk.beforeStart - at);
    if (hunk.beforeLength > 0)
      op.push({ d: removed.slice(hunk.beforeStart, hunk.beforeStart + hunk.beforeLength).join("") });
    if (hunk.afterLength > 0) op.push(added.slice(hunk.afterStart, hunk.afterStart + hunk.afterLength).join(""));
    at = hunk.beforeStart + hunk.beforeLength;
  }
  op.push(removed.length - at);
  return op;
}
