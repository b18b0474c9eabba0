/** Where this user is in the sheet, for the others: the selection in code points, and typing, here or idle. */
import type { EditorState, Extension } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import type { Cursor, PresenceStatus } from "chordme-sessions/client";
import { toCodePointOffset } from "./positions";
import { fromSession } from "./session-change";

export function selectionCursor(state: EditorState): Cursor {
  const { anchor, head } = state.selection.main;
  return { anchor: toCodePointOffset(state.doc, anchor), head: toCodePointOffset(state.doc, head) };
}

/** Calls `report` when this user types ("typing"), moves or comes into the sheet ("active"), or leaves it ("idle"). */
export function localPresence(report: (cursor: Cursor, status: PresenceStatus) => void): Extension {
  return EditorView.updateListener.of((update) => {
    const typed = update.transactions.some(
      (transaction) => transaction.docChanged && !transaction.annotation(fromSession),
    );
    if (update.focusChanged && !update.view.hasFocus) report(selectionCursor(update.state), "idle");
    else if (typed) report(selectionCursor(update.state), "typing");
    else if (update.selectionSet || (update.focusChanged && update.view.hasFocus)) {
      report(selectionCursor(update.state), "active");
    }
  });
}
