/** The one-line summary each song version carries: how many lines changed, and what a musician should know. */
import { diffLines, splitLines } from "./line-diff";

export type VersionChange =
  | { kind: "created" | "edited"; before: string; after: string }
  | { kind: "session"; before: string; after: string; sessionName: string }
  | { kind: "merged"; before: string; after: string; sessionName: string; conflicts: number }
  | { kind: "restored"; before: string; after: string; restoredFrom: number }
  | { kind: "refused"; before: string; after: string; sessionName: string; reason: string };

const MAX_NAME_IN_SUMMARY = 60;

/**
 * "+3 −1 lines": lines added and removed from one text to the next (all of them when too costly to compare).
 * A final line break is not a line of its own; a text whose only change is that break has its last line changed.
 */
export function lineChanges(before: string, after: string): string {
  const beforeText = splitLines(before);
  const afterText = splitLines(after);
  const hunks = diffLines(beforeText.lines, afterText.lines);
  let added = hunks ? hunks.reduce((sum, hunk) => sum + hunk.afterLength, 0) : afterText.lines.length;
  let removed = hunks ? hunks.reduce((sum, hunk) => sum + hunk.beforeLength, 0) : beforeText.lines.length;
  if (added === 0 && removed === 0 && before !== after) {
    added = 1;
    removed = 1;
  }
  return `+${added} −${removed} lines`;
}

function quoted(sessionName: string): string {
  const name = [...sessionName];
  return `“${name.length > MAX_NAME_IN_SUMMARY ? `${name.slice(0, MAX_NAME_IN_SUMMARY - 1).join("")}…` : sessionName}”`;
}

export function summarize(change: VersionChange): string {
  const lines = lineChanges(change.before, change.after);
  switch (change.kind) {
    case "created":
    case "edited":
      return lines;
    case "session":
      return `${lines} from session ${quoted(change.sessionName)}`;
    case "merged": {
      const conflicts =
        change.conflicts === 0
          ? ""
          : `; ${change.conflicts} conflict${change.conflicts === 1 ? "" : "s"} kept for you to resolve`;
      return `${lines} from session ${quoted(change.sessionName)}, merged with changes made meanwhile${conflicts}`;
    }
    case "restored":
      return `${lines}, restored from version ${change.restoredFrom}`;
    case "refused":
      return `Not applied: ${change.reason}. ${lines} from session ${quoted(change.sessionName)}`;
  }
}
