/**
 * Keeps a CodeMirror view and a RealtimeSession on the same text.
 *
 * A local edit goes to the session as ops before the view shows it, so an edit the session refuses is never shown.
 * Everything else that changes the session's text comes into the view as a session change (session-change.ts): not
 * sent back, and not in the undo history.
 */
import type { Transaction } from "@codemirror/state";
import type { EditorView } from "@codemirror/view";
import { MAX_DOCUMENT_CHARS, type Participant, type RealtimeSession } from "chordme-sessions/client";
import { codePointCount, editOp } from "../lib/text";
import { changesToOps, opToChanges, toUtf16Offset } from "./positions";
import { type RemoteCaret, setRemoteCarets } from "./remote-carets";
import { fromSession, SESSION_CHANGE } from "./session-change";

export class SessionBinding {
  readonly #realtime: RealtimeSession;
  readonly #onError: (error: unknown) => void;
  #view: EditorView | null = null;
  #participants: readonly Participant[] = [];
  /** A local edit is being handed to the session; its events are taken in once the view has shown the edit. */
  #dispatching = false;
  #missedEvent = false;

  constructor(realtime: RealtimeSession, onError: (error: unknown) => void) {
    this.#realtime = realtime;
    this.#onError = onError;
  }

  /** The view's `dispatchTransactions`: sends local edits to the session, then shows what it took. */
  readonly dispatch = (transactions: readonly Transaction[], view: EditorView): void => {
    const taken: Transaction[] = [];
    let refused = false;
    this.#dispatching = true;
    try {
      for (const transaction of transactions) {
        if (transaction.docChanged && !transaction.annotation(fromSession) && !this.#send(transaction)) {
          refused = true;
          break;
        }
        taken.push(transaction);
      }
    } finally {
      this.#dispatching = false;
    }
    if (taken.length > 0) view.update(taken);
    // A refused edit (or part of one) or an event heard meanwhile: line the view up with the session again.
    if (refused || this.#missedEvent || view.state.doc.length !== this.#realtime.text.length) {
      this.#missedEvent = false;
      this.#catchUp();
      this.#showCarets();
    }
  };

  /** Hands a local edit to the session as ops; false, with the reason reported, when the session refuses it. */
  #send(transaction: Transaction): boolean {
    const ops = changesToOps(transaction.startState.doc, transaction.changes);
    // An edit sent as several ops could otherwise be taken in part: the whole must fit the document's limit.
    if (ops.length > 1 && codePointCount(transaction.newDoc.toString()) > MAX_DOCUMENT_CHARS) {
      this.#onError({
        code: "DOCUMENT_TOO_LARGE",
        message: `A chord sheet holds at most ${MAX_DOCUMENT_CHARS.toLocaleString("en")} characters`,
      });
      return false;
    }
    try {
      for (const op of ops) this.#realtime.applyLocal(op);
      return true;
    } catch (error) {
      this.#onError(error);
      return false;
    }
  }

  /** Starts following the session's text and presence in `view`; returns the function that stops it. */
  attach(view: EditorView): () => void {
    this.#view = view;
    const realtime = this.#realtime;
    const unsubscribe = [
      realtime.on("text", (event) => {
        if (event.origin === "local") return;
        if (this.#dispatching) {
          this.#missedEvent = true;
          return;
        }
        this.#applyRemote(event.op, event.text);
      }),
      realtime.on("presence", () => {
        if (this.#dispatching) this.#missedEvent = true;
        else this.#showCarets();
      }),
      realtime.on("status", (event) => {
        if (event.status === "connected") this.#catchUp();
      }),
    ];
    this.#catchUp();
    this.#showCarets();
    return () => {
      for (const off of unsubscribe) off();
      this.#view = null;
    };
  }

  /** The names and colours for the carets. */
  setParticipants(participants: readonly Participant[]): void {
    this.#participants = participants;
    this.#showCarets();
  }

  #applyRemote(op: Parameters<typeof opToChanges>[1], text: string): void {
    const view = this.#view;
    if (!view) return;
    try {
      view.dispatch({ changes: opToChanges(view.state.doc, op), annotations: SESSION_CHANGE });
    } catch {
      // The op did not fit the view's text; the comparison below puts that right.
    }
    if (view.state.doc.length !== text.length || view.state.doc.toString() !== text) this.#catchUp();
  }

  /** Makes the view's text the session's, changing only the part that differs. */
  #catchUp(): void {
    const view = this.#view;
    if (!view) return;
    const current = view.state.doc.toString();
    const text = this.#realtime.text;
    if (current === text) return;
    view.dispatch({ changes: opToChanges(view.state.doc, editOp(current, text)), annotations: SESSION_CHANGE });
  }

  #showCarets(): void {
    const view = this.#view;
    if (!view) return;
    const { doc } = view.state;
    const named = new Map(this.#participants.map((participant) => [participant.user_id, participant]));
    const carets: RemoteCaret[] = [];
    for (const state of this.#realtime.presence.values()) {
      const participant = named.get(state.user_id);
      if (!participant || !state.cursor || state.online === false) continue;
      carets.push({
        userId: state.user_id,
        name: participant.display_name,
        color: participant.color,
        typing: state.status === "typing",
        anchor: toUtf16Offset(doc, state.cursor.anchor),
        head: toUtf16Offset(doc, state.cursor.head),
      });
    }
    view.dispatch({ effects: setRemoteCarets.of(carets) });
  }
}
