import type { Cursor, Participant, RealtimeSession } from "chordme-sessions/client";
import { type FormEvent, useState } from "react";
import { formatDateTime } from "../lib/format";
import type { LiveComment } from "../lib/live";
import { lineAndColumn } from "../lib/text";

interface CommentsProps {
  realtime: RealtimeSession;
  comments: LiveComment[];
  participants: readonly Participant[];
  canComment: boolean;
  /** The editor's selection; a comment is anchored to it when it spans some text. */
  selection: Cursor | null;
  onError: (error: unknown) => void;
}

export function Comments({ realtime, comments, participants, canComment, selection, onError }: CommentsProps) {
  const [draft, setDraft] = useState("");
  const names = new Map(participants.map((participant) => [participant.user_id, participant.display_name]));
  const anchor =
    selection && selection.anchor !== selection.head
      ? { from: Math.min(selection.anchor, selection.head), to: Math.max(selection.anchor, selection.head) }
      : undefined;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!draft.trim()) return;
    try {
      realtime.comment(draft.trim(), anchor);
      setDraft("");
    } catch (error) {
      onError(error);
    }
  }

  return (
    <section className="comments" aria-label="Comments">
      <h3>Comments</h3>
      {comments.length === 0 ? <p className="muted small">No comments yet.</p> : null}
      <ul>
        {comments.map((comment) => (
          <li key={comment.id}>
            <span className="comment-author">{names.get(comment.user_id) ?? comment.user_id}</span>{" "}
            <span className="muted small">
              {formatDateTime(comment.created_at)}
              {comment.anchor ? ` · line ${lineAndColumn(realtime.text, comment.anchor.from).line}` : ""}
            </span>
            <p>{comment.text}</p>
          </li>
        ))}
      </ul>
      {canComment ? (
        <form onSubmit={submit} className="comment-form">
          <textarea
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            rows={2}
            maxLength={2000}
            placeholder={anchor ? "Comment on the selected passage…" : "Add a comment…"}
            aria-label="New comment"
          />
          <button type="submit" disabled={!draft.trim()}>
            Comment
          </button>
        </form>
      ) : (
        <p className="muted small">Your role does not allow comments.</p>
      )}
    </section>
  );
}
