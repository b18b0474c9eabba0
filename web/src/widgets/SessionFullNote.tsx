import type { SessionView } from "chordme-sessions/client";
import { type FormEvent, useId, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { LIMIT_BOUNDS, parseBounded } from "../lib/settings";
import { ErrorNote } from "./common";

interface SessionFullNoteProps {
  session: Pick<SessionView, "id" | "max_participants">;
  /** Active participants now. */
  count: number;
  /** The name of whoever was just turned away, told live to the leader; null when nobody was yet. */
  turnedAway: string | null;
  /** The session as saved with its new limit. */
  onRaised: (session: SessionView) => void;
}

/**
 * For the session's leader, while the session is full: anyone else who tries to join is turned away
 * (SESSION_FULL), and the limit can be raised right here.
 */
export function SessionFullNote({ session, count, turnedAway, onRaised }: SessionFullNoteProps) {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const id = useId();
  const [limit, setLimit] = useState(String(Math.min(LIMIT_BOUNDS.max, session.max_participants + 2)));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const atMost = session.max_participants >= LIMIT_BOUNDS.max;

  async function raise(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const parsed = parseBounded(limit, "New participant limit", {
      min: session.max_participants + 1,
      max: LIMIT_BOUNDS.max,
    });
    if ("problem" in parsed) {
      setError(parsed.problem);
      return;
    }
    setBusy(true);
    try {
      onRaised(await service.updateSession(session.id, { max_participants: parsed.value }));
    } catch (caught) {
      setError(sentence(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="session-full" aria-labelledby={`${id}-title`}>
      <p role="status" id={`${id}-title`}>
        <strong>The session is full</strong>: {count} of {session.max_participants} places are taken, so anyone else who
        tries to join is turned away.
        {turnedAway ? <> {turnedAway} just tried to join and was turned away.</> : null}
      </p>
      {atMost ? (
        <p className="muted small">{LIMIT_BOUNDS.max} people is the most a session can have.</p>
      ) : (
        <form onSubmit={raise} className="row" aria-label="Raise the participant limit" noValidate>
          <label className="inline">
            New participant limit
            <input
              type="number"
              min={session.max_participants + 1}
              max={LIMIT_BOUNDS.max}
              step={1}
              value={limit}
              onChange={(e) => setLimit(e.target.value)}
            />
          </label>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Raising…" : "Raise the limit"}
          </button>
        </form>
      )}
      <ErrorNote message={error} />
    </section>
  );
}
