/**
 * How a change from the session (someone else's op, a start over after a reconnect) enters the editor: marked, so
 * it is not sent back, and kept out of the undo history, which CodeMirror maps through it instead. Undo and redo
 * then take back only this user's own edits, at wherever the others' edits have moved them.
 */
import { Annotation, Transaction } from "@codemirror/state";

export const fromSession = Annotation.define<boolean>();

export const SESSION_CHANGE = [fromSession.of(true), Transaction.addToHistory.of(false), Transaction.remote.of(true)];
