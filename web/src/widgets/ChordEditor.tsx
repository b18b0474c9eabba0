import { EditorState } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import type { Cursor, Participant, PresenceState, PresenceStatus, RealtimeSession } from "chordme-sessions/client";
import { useEffect, useRef, useState } from "react";
import { type ChordSheetEditor, chordSheetEditor } from "../editor/chord-sheet-editor";
import { localPresence } from "../editor/local-presence";
import { SessionBinding } from "../editor/session-binding";
import { lineAndColumn } from "../lib/text";

interface ChordEditorProps {
  realtime: RealtimeSession;
  /** Null when the user may edit; otherwise why not. */
  readOnlyReason: string | null;
  participants: readonly Participant[];
  presence: ReadonlyMap<string, PresenceState>;
  /** The selection in code points, for anchoring comments. */
  onSelectionChange?: (selection: Cursor) => void;
  onError: (error: unknown) => void;
}

const TYPING_IDLE_MS = 1500;

/** The shared chord sheet: CodeMirror on RealtimeSession, with everyone else's caret and selection in it. */
export function ChordEditor({
  realtime,
  readOnlyReason,
  participants,
  presence,
  onSelectionChange,
  onError,
}: ChordEditorProps) {
  const hostRef = useRef<HTMLDivElement>(null);
  const editor = useRef<{ view: EditorView; binding: SessionBinding; setup: ChordSheetEditor } | null>(null);
  // The latest callbacks and read-only state, for the editor made once per session.
  const latest = useRef({ onSelectionChange, onError, participants, readOnly: readOnlyReason !== null });
  latest.current = { onSelectionChange, onError, participants, readOnly: readOnlyReason !== null };
  const [text, setText] = useState(realtime.text);

  useEffect(() => {
    let typingTimer: ReturnType<typeof setTimeout> | undefined;
    const report = (cursor: Cursor, status: PresenceStatus) => {
      realtime.setPresence(cursor, status);
      latest.current.onSelectionChange?.(cursor);
      clearTimeout(typingTimer);
      if (status === "typing") typingTimer = setTimeout(() => realtime.setPresence(cursor, "active"), TYPING_IDLE_MS);
    };
    const binding = new SessionBinding(realtime, (error) => latest.current.onError(error));
    const setup = chordSheetEditor({ readOnly: latest.current.readOnly, extra: localPresence(report) });
    const view = new EditorView({
      parent: hostRef.current!,
      state: EditorState.create({ doc: realtime.text, extensions: setup.extensions }),
      dispatchTransactions: binding.dispatch,
    });
    binding.setParticipants(latest.current.participants);
    const detach = binding.attach(view);
    editor.current = { view, binding, setup };
    setText(realtime.text);
    const offText = realtime.on("text", (event) => setText(event.text));
    return () => {
      offText();
      detach();
      clearTimeout(typingTimer);
      view.destroy();
      editor.current = null;
    };
  }, [realtime]);

  const readOnly = readOnlyReason !== null;
  useEffect(() => {
    const current = editor.current;
    if (current && current.view.state.readOnly !== readOnly) current.setup.setReadOnly(current.view, readOnly);
  }, [readOnly]);

  useEffect(() => editor.current?.binding.setParticipants(participants), [participants]);

  const named = new Map(participants.map((participant) => [participant.user_id, participant]));
  const carets = [...presence.values()]
    .filter((state) => state.cursor !== null && state.online !== false && named.has(state.user_id))
    .map((state) => ({ state, participant: named.get(state.user_id)! }));

  return (
    <div className="editor">
      {readOnlyReason ? <p className="read-only-note">{readOnlyReason}</p> : null}
      <div className={readOnly ? "chord-sheet read-only" : "chord-sheet"} ref={hostRef} />
      <PresenceList text={text} carets={carets} />
    </div>
  );
}

interface Caret {
  state: PresenceState;
  participant: Participant;
}

const STATUS_WORDS: Record<PresenceStatus, string> = {
  active: "here",
  typing: "typing",
  idle: "idle",
  away: "away",
};

function PresenceList({ text, carets }: { text: string; carets: Caret[] }) {
  if (carets.length === 0) return <p className="presence muted small">Nobody else is in the sheet right now.</p>;
  return (
    <ul className="presence" aria-label="Who is where">
      {carets.map(({ state, participant }) => {
        const { line, column } = lineAndColumn(text, state.cursor!.head);
        return (
          <li key={participant.user_id} data-user={participant.user_id}>
            <span className="dot" style={{ background: participant.color }} />
            {participant.display_name} — line {line}, column {column} · {STATUS_WORDS[state.status]}
          </li>
        );
      })}
    </ul>
  );
}
