/**
 * Line-level diffs of song texts: chord sheets are line-oriented, so lines are what the merge and the version
 * summaries compare. The shortest edit script comes from @jest/diff-sequences (Myers' algorithm, MIT); this file
 * only turns its common runs into hunks and bounds the work it may take.
 */
import diffSequences from "@jest/diff-sequences";

/** A text as lines, with whether it ends with a line break (so "a" and "a\n" differ only in that flag). */
export interface Lines {
  lines: string[];
  finalNewline: boolean;
}

export function splitLines(text: string): Lines {
  if (text === "") return { lines: [], finalNewline: false };
  const lines = text.split("\n");
  const finalNewline = lines[lines.length - 1] === "";
  if (finalNewline) lines.pop();
  return { lines, finalNewline };
}

export function joinLines({ lines, finalNewline }: Lines): string {
  if (lines.length === 0) return "";
  return finalNewline ? `${lines.join("\n")}\n` : lines.join("\n");
}

/** `before[beforeStart, beforeStart + beforeLength)` is replaced by `after[afterStart, afterStart + afterLength)`. */
export interface LineHunk {
  beforeStart: number;
  beforeLength: number;
  afterStart: number;
  afterLength: number;
}

/**
 * Line comparisons one diff may make. Myers' algorithm costs (N + M) × D comparisons, D being the number of lines
 * that differ: small edits to the largest song cost far less, while two unrelated 3,000-line texts would cost
 * about 11 million (0.4 s). Past the budget (about 0.15 s) the caller treats the texts as wholly different.
 */
export const DIFF_BUDGET = 4_000_000;

const OVER_BUDGET = Symbol("over budget");

/**
 * The hunks of a shortest edit script from `before` to `after`, in order, or null when finding it would take more
 * than `budget` line comparisons.
 */
export function diffLines(
  before: readonly string[],
  after: readonly string[],
  budget = DIFF_BUDGET,
): LineHunk[] | null {
  // The common head and tail cost nothing to find and are most of the text in a typical edit.
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let tail = 0;
  while (
    tail < before.length - head &&
    tail < after.length - head &&
    before[before.length - 1 - tail] === after[after.length - 1 - tail]
  ) {
    tail++;
  }
  const beforeEnd = before.length - tail;
  const afterEnd = after.length - tail;

  const hunks: LineHunk[] = [];
  let beforeIndex = head;
  let afterIndex = head;
  const addHunkUpTo = (beforeStop: number, afterStop: number) => {
    if (beforeStop > beforeIndex || afterStop > afterIndex) {
      hunks.push({
        beforeStart: beforeIndex,
        beforeLength: beforeStop - beforeIndex,
        afterStart: afterIndex,
        afterLength: afterStop - afterIndex,
      });
    }
  };
  let comparisons = 0;
  try {
    diffSequences(
      beforeEnd - head,
      afterEnd - head,
      (beforeOffset, afterOffset) => {
        comparisons++;
        if (comparisons > budget) throw OVER_BUDGET;
        return before[head + beforeOffset] === after[head + afterOffset];
      },
      (count, beforeOffset, afterOffset) => {
        addHunkUpTo(head + beforeOffset, head + afterOffset);
        beforeIndex = head + beforeOffset + count;
        afterIndex = head + afterOffset + count;
      },
    );
  } catch (error) {
    if (error === OVER_BUDGET) return null;
    throw error;
  }
  addHunkUpTo(beforeEnd, afterEnd);
  return hunks;
}
