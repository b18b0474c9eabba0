import type { Cursor, Participant, PresenceState, PresenceStatus, RealtimeSession } from "chordme-sessions/client";
import { type ReactNode, useCallback, useEffect, useRef, useState } from "react";
import { editOp, lineAndColumn, shiftPosition, toCodePoint, toUtf16 } from "../lib/text";

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

/** The shared chord sheet: a textarea on RealtimeSession, with everyone else's caret drawn over it. */
export function ChordEditor({
  realtime,
  readOnlyReason,
  participants,
  presence,
  onSelectionChange,
  onError,
}: ChordEditorProps) {
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const overlayRef = useRef<HTMLDivElement>(null);
  const typingTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const [text, setText] = useState(realtime.text);

  const selection = useCallback((): Cursor => {
    const textarea = textareaRef.current!;
    const { value, selectionStart, selectionEnd, selectionDirection } = textarea;
    const start = toCodePoint(value, selectionStart);
    const end = toCodePoint(value, selectionEnd);
    return selectionDirection === "backward" ? { anchor: end, head: start } : { anchor: start, head: end };
  }, []);

  const sharePresence = useCallback(
    (status: PresenceStatus) => {
      const cursor = selection();
      realtime.setPresence(cursor, status);
      onSelectionChange?.(cursor);
      clearTimeout(typingTimer.current);
      if (status === "typing") {
        typingTimer.current = setTimeout(() => realtime.setPresence(selection(), "active"), TYPING_IDLE_MS);
      }
    },
    [realtime, selection, onSelectionChange],
  );

  useEffect(() => {
    const textarea = textareaRef.current!;
    textarea.value = realtime.text;
    setText(realtime.text);
    const offText = realtime.on("text", (event) => {
      if (textarea.value !== event.text) {
        const focused = document.activeElement === textarea;
        const before = focused ? selection() : null;
        const scrollTop = textarea.scrollTop;
        textarea.value = event.text;
        if (before) {
          // Keep the caret where it was in the text, not at the same index: the remote change may be before it.
          const anchor = toUtf16(event.text, shiftPosition(before.anchor, event.op));
          const head = toUtf16(event.text, shiftPosition(before.head, event.op));
          textarea.setSelectionRange(
            Math.min(anchor, head),
            Math.max(anchor, head),
            head < anchor ? "backward" : "forward",
          );
        }
        textarea.scrollTop = scrollTop;
      }
      setText(event.text);
    });
    // A reconnect that started over replaces the text without an edit of ours.
    const offStatus = realtime.on("status", (event) => {
      if (event.status === "connected" && textarea.value !== realtime.text) {
        textarea.value = realtime.text;
        setText(realtime.text);
      }
    });
    return () => {
      offText();
      offStatus();
      clearTimeout(typingTimer.current);
    };
  }, [realtime, selection]);

  function onInput() {
    const textarea = textareaRef.current!;
    const op = editOp(realtime.text, textarea.value, textarea.selectionEnd);
    if (op.length === 0) return;
    try {
      realtime.applyLocal(op);
    } catch (error) {
      textarea.value = realtime.text;
      setText(realtime.text);
      onError(error);
      return;
    }
    sharePresence("typing");
  }

  const onScroll = () => {
    if (overlayRef.current && textareaRef.current) overlayRef.current.scrollTop = textareaRef.current.scrollTop;
  };

  const named = new Map(participants.map((participant) => [participant.user_id, participant]));
  const carets = [...presence.values()]
    .filter((state) => state.cursor !== null && state.online !== false && named.has(state.user_id))
    .map((state) => ({ state, participant: named.get(state.user_id)! }));

  return (
    <div className="editor">
      {readOnlyReason ? <p className="read-only-note">{readOnlyReason}</p> : null}
      <div className="editor-surface">
        <div className="editor-overlay" ref={overlayRef} aria-hidden="true">
          {renderCarets(text, carets)}
        </div>
        <textarea
          ref={textareaRef}
          className="chord-sheet"
          aria-label="Chord sheet"
          readOnly={readOnlyReason !== null}
          spellCheck={false}
          onInput={onInput}
          onSelect={() => sharePresence("active")}
          onKeyUp={() => sharePresence("active")}
          onMouseUp={() => sharePresence("active")}
          onFocus={() => sharePresence("active")}
          onBlur={() => realtime.setPresence(selection(), "idle")}
          onScroll={onScroll}
        />
      </div>
      <PresenceList text={text} carets={carets} />
    </div>
  );
}

interface Caret {
  state: PresenceState;
  participant: Participant;
}

/** The text, invisible, with a coloured marker at every remote caret: it lines up with the textarea beneath. */
function renderCarets(text: string, carets: Caret[]): ReactNode[] {
  const sorted = carets
    .map((caret) => ({ caret, at: toUtf16(text, caret.state.cursor!.head) }))
    .sort((left, right) => left.at - right.at);
  const nodes: ReactNode[] = [];
  let position = 0;
  for (const { caret, at } of sorted) {
    nodes.push(text.slice(position, at));
    position = at;
    nodes.push(
      <span
        key={caret.participant.user_id}
        className="remote-caret"
        style={{ borderColor: caret.participant.color }}
        data-user={caret.participant.user_id}
      >
        <span className="remote-caret-label" style={{ background: caret.participant.color }}>
          {caret.participant.display_name}
        </span>
      </span>,
    );
  }
  // A trailing newline needs something after it to take up its line.
  nodes.push(`${text.slice(position)}\u200b`);
  return nodes;
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
