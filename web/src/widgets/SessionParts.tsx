/** The smaller parts of the session page: the way back, the connection badge, joining, comments from the log. */
import type { SessionView } from "chordme-sessions/client";
import { useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import type { LiveComment, LiveState } from "../lib/live";
import { linkProps } from "../lib/router";
import { ErrorNote } from "./common";

export function BackLink({ to = "/", label = "← My sessions" }: { to?: string; label?: string }) {
  return (
    <a className="back" {...linkProps(to)}>
      {label}
    </a>
  );
}

export function ConnectionBadge({ live }: { live: LiveState }) {
  const status = live.connection?.status ?? "connecting";
  const label = { connecting: "Connecting…", connected: "Connected", reconnecting: "Reconnecting…", closed: "Offline" }[
    status
  ];
  return (
    <span className={`badge connection-${status}`} data-testid="connection" role="status">
      {label}
    </span>
  );
}

/** Whether everything typed has reached the server, always on the session page and read out as it changes. */
export function SaveIndicator({ live }: { live: LiveState }) {
  const status = live.connection?.status ?? "connecting";
  const pending = live.pendingEdits;
  const label =
    status === "connected"
      ? pending > 0
        ? "Saving…"
        : "Saved"
      : pending > 0
        ? "Offline — your edits will be sent"
        : live.ready
          ? "Offline"
          : "Connecting…";
  const state = status === "connected" ? (pending > 0 ? "saving" : "saved") : "offline";
  return (
    <span className={`badge save-${state}`} data-testid="save-state" role="status">
      {label}
    </span>
  );
}

/** A public session seen by someone who has not joined it yet. */
export function NotJoined({ view, onJoined }: { view: SessionView; onJoined: (view: SessionView) => void }) {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [error, setError] = useState<string | null>(null);
  async function join() {
    try {
      onJoined(await service.joinSession(view.id));
    } catch (caught) {
      setError(sentence(caught));
    }
  }
  return (
    <main className="session-page">
      <BackLink />
      <section className="card">
        <h2>{view.name}</h2>
        <p>
          {view.participant_count} {view.participant_count === 1 ? "person is" : "people are"} playing. Join to follow
          the chord sheet live.
        </p>
        <ErrorNote message={error} />
        <button type="button" className="primary" onClick={join}>
          Join session
        </button>
      </section>
    </main>
  );
}

export function commentFromActivity(activity: {
  user_id: string | null;
  details: unknown;
  created_at: string;
}): LiveComment[] {
  const details = activity.details as { comment_id?: unknown; text?: unknown } | null;
  if (!details || typeof details.comment_id !== "number" || typeof details.text !== "string") return [];
  return [
    {
      id: details.comment_id,
      user_id: activity.user_id ?? "",
      text: details.text,
      anchor: null,
      rev: 0,
      created_at: activity.created_at,
    },
  ];
}
