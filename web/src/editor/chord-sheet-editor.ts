/** The chord sheet's CodeMirror setup: own-only undo history, keys, wrapping, highlighting, carets, read-only. */
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { Compartment, EditorState, type Extension } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { chordProHighlight } from "./chordpro-highlight";
import { remoteCarets } from "./remote-carets";

function readOnlyExtension(readOnly: boolean): Extension {
  return [
    EditorState.readOnly.of(readOnly),
    // Still focusable and selectable (a commenter anchors a comment on a selection), but no on-screen keyboard.
    EditorView.contentAttributes.of(readOnly ? { inputmode: "none" } : {}),
  ];
}

export interface ChordSheetEditor {
  extensions: Extension;
  setReadOnly(view: EditorView, readOnly: boolean): void;
}

export function chordSheetEditor(options: { readOnly: boolean; extra: Extension }): ChordSheetEditor {
  const readOnly = new Compartment();
  return {
    extensions: [
      // Only "\n" breaks a line, so the view's text is the session's to the character ("\r" included).
      EditorState.lineSeparator.of("\n"),
      history(),
      keymap.of([...defaultKeymap, ...historyKeymap]),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": "Chord sheet", spellcheck: "false", autocapitalize: "off" }),
      chordProHighlight,
      remoteCarets,
      readOnly.of(readOnlyExtension(options.readOnly)),
      options.extra,
    ],
    setReadOnly(view, value) {
      view.dispatch({ effects: readOnly.reconfigure(readOnlyExtension(value)) });
    },
  };
}
