/**
 * The three-way merge of a session's text into its song. Lines changed on one side only take that side's change;
 * where both sides changed the same lines (or lines next to each other) both versions are kept, one after the
 * other between ChordPro comment directives, so a musician sees them in the chord sheet and keeps what they want.
 * Nothing either side changed is ever dropped.
 */
import { diffLines, joinLines, type LineHunk, splitLines } from "./line-diff";

export const CONFLICT_OURS = "{comment: Merge conflict — this session's version:}";
export const CONFLICT_THEIRS = "{comment: Merge conflict — the song's version (changed elsewhere):}";
export const CONFLICT_END = "{comment: End of merge conflict}";

export interface MergeResult {
  text: string;
  /** How many places hold both versions for someone to resolve. */
  conflicts: number;
}

/**
 * Merges `ours` (the session's text now) and `theirs` (the song as it is now) made independently from `base`
 * (the text the session started from).
 */
export function mergeTexts(base: string, theirs: string, ours: string): MergeResult {
  if (ours === base || ours === theirs) return { text: theirs, conflicts: 0 };
  if (theirs === base) return { text: ours, conflicts: 0 };
  const baseLines = splitLines(base);
  const theirLines = splitLines(theirs);
  const ourLines = splitLines(ours);
  const merged = mergeLines(baseLines.lines, theirLines.lines, ourLines.lines);
  // The final line break is a change of its own: whichever side changed it wins (both can only change it alike).
  // Without one, a blank last line would read back as the line break itself, so a blank line one side added at
  // the end keeps it.
  const finalNewline =
    (ourLines.finalNewline !== baseLines.finalNewline ? ourLines.finalNewline : theirLines.finalNewline) ||
    merged.lines[merged.lines.length - 1] === "";
  return { text: joinLines({ lines: merged.lines, finalNewline }), conflicts: merged.conflicts };
}

interface SideHunk extends LineHunk {
  side: "theirs" | "ours";
}

function mergeLines(base: string[], theirs: string[], ours: string[]): { lines: string[]; conflicts: number } {
  // Lines all three share at the start and the end are kept as they are and left out of the diffs.
  let head = 0;
  while (head < base.length && base[head] === theirs[head] && base[head] === ours[head]) head++;
  let tail = 0;
  const shortest = Math.min(base.length, theirs.length, ours.length) - head;
  while (
    tail < shortest &&
    base[base.length - 1 - tail] === theirs[theirs.length - 1 - tail] &&
    base[base.length - 1 - tail] === ours[ours.length - 1 - tail]
  ) {
    tail++;
  }
  const middle = (lines: string[]) => lines.slice(head, lines.length - tail);
  const merged = mergeMiddle(middle(base), middle(theirs), middle(ours));
  return {
    lines: [...base.slice(0, head), ...merged.lines, ...base.slice(base.length - tail)],
    conflicts: merged.conflicts,
  };
}

function mergeMiddle(base: string[], theirs: string[], ours: string[]): { lines: string[]; conflicts: number } {
  const theirHunks = diffLines(base, theirs);
  const ourHunks = diffLines(base, ours);
  // Too costly to compare line by line: the whole differing middle is one place where both versions are kept.
  if (!theirHunks || !ourHunks) return resolveRegion(theirs, ours);

  const hunks: SideHunk[] = [
    ...theirHunks.map((hunk) => ({ ...hunk, side: "theirs" as const })),
    ...ourHunks.map((hunk) => ({ ...hunk, side: "ours" as const })),
  ].sort((a, b) => a.beforeStart - b.beforeStart);

  const lines: string[] = [];
  let conflicts = 0;
  let baseIndex = 0;
  let next = 0;
  while (next < hunks.length) {
    // A region: hunks whose base ranges overlap or touch, which is where both sides may have changed the same lines.
    const group = [hunks[next]!];
    const regionStart = group[0]!.beforeStart;
    let regionEnd = regionStart + group[0]!.beforeLength;
    next++;
    while (next < hunks.length && hunks[next]!.beforeStart <= regionEnd) {
      const hunk = hunks[next]!;
      group.push(hunk);
      regionEnd = Math.max(regionEnd, hunk.beforeStart + hunk.beforeLength);
      next++;
    }
    append(lines, base, baseIndex, regionStart);
    baseIndex = regionEnd;

    const region = { base, start: regionStart, end: regionEnd };
    const theirHunksHere = group.filter((hunk) => hunk.side === "theirs");
    const ourHunksHere = group.filter((hunk) => hunk.side === "ours");
    const theirSide = sideOfRegion(region, theirs, theirHunksHere);
    const ourSide = sideOfRegion(region, ours, ourHunksHere);
    // A side with no hunk here left these lines as they were: the other side's change applies.
    if (ourHunksHere.length === 0) append(lines, theirSide);
    else if (theirHunksHere.length === 0) append(lines, ourSide);
    else {
      const resolved = resolveRegion(theirSide, ourSide);
      append(lines, resolved.lines);
      conflicts += resolved.conflicts;
    }
  }
  append(lines, base, baseIndex);
  return { lines, conflicts };
}

/**
 * What one side has in place of `base[start, end)`: between and around its hunks the side has the base's lines,
 * so its span starts and ends as far from its first and last hunk as the region does.
 */
function sideOfRegion(
  region: { base: string[]; start: number; end: number },
  side: string[],
  sideHunks: SideHunk[],
): string[] {
  const first = sideHunks[0];
  const last = sideHunks[sideHunks.length - 1];
  if (!first || !last) return region.base.slice(region.start, region.end);
  const start = first.afterStart - (first.beforeStart - region.start);
  const end = last.afterStart + last.afterLength + (region.end - (last.beforeStart + last.beforeLength));
  return side.slice(start, end);
}

/** Appends `source[start, end)` one by one: a spread of 100,000 lines into push() would overflow the stack. */
function append(target: string[], source: readonly string[], start = 0, end = source.length): void {
  for (let index = start; index < end; index++) target.push(source[index]!);
}

/** One region: the same change on both sides is taken once, different changes are both kept. */
function resolveRegion(theirs: string[], ours: string[]): { lines: string[]; conflicts: number } {
  if (theirs.length === ours.length && theirs.every((line, index) => line === ours[index])) {
    return { lines: theirs, conflicts: 0 };
  }
  return { lines: [CONFLICT_OURS, ...ours, CONFLICT_THEIRS, ...theirs, CONFLICT_END], conflicts: 1 };
}
